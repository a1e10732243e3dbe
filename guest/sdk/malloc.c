/*
 * The heap allocator every program links (malloc, free, calloc, realloc, the aligned ones
 * and picolibc's <malloc.h> extras) in place of picolibc's nano-malloc, for two reasons:
 *
 * - Alignment. nano-malloc's blocks are 8-byte aligned, yet alignof(max_align_t) is 16 on
 *   both RISC-V and AArch64, and AArch64 gcc takes a block from malloc to be 16-aligned: it
 *   folds `(uintptr_t)p % 16` to 0, so low pointer bits used as tags or an _Alignas(16)
 *   member went wrong at -O1 and above. Every block here is 16-byte aligned.
 * - Speed. nano-malloc keeps one free list in address order that each malloc and free
 *   walks. Here a chunk of under 1 KiB comes from a list of chunks of exactly its size, a
 *   larger one from a list of its size class, the first list that holds one found through a
 *   bitmap: free and a small malloc take a bounded number of steps, a large malloc at most a
 *   walk of one size class's list.
 *
 * A chunk is a 16-byte header (prev_size, head) and the block after it. head holds the
 * chunk's size (header included, a multiple of 16, at least 32) and two flags: INUSE, and
 * PREV_INUSE for the chunk before it. A free chunk's size is also in the next chunk's
 * prev_size, so free() finds a free neighbour on either side and merges with it (two free
 * chunks are never adjacent), and its block holds the links of its bin's list. The last
 * chunk, `top`, is in no list: it is what sbrk gave and no block took yet, and it grows.
 *
 * free() or realloc() of a pointer that is not a block in use (freed twice, into the middle
 * of a block, not from malloc) and a list whose links disagree (the program wrote over the
 * heap) end the task with a message, as glibc's checks do, instead of corrupting the heap
 * further: under recovery = "txipc" that is a fault the kernel rolls back.
 *
 * A task is one thread: no locks.
 */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rewind/rewind.h>

#define HDR         16u /* a chunk's header; blocks and chunks are 16-aligned */
#define MIN_CHUNK   32u /* a header and a free chunk's two links */
#define INUSE       ((size_t)1)
#define PREV_INUSE  ((size_t)2)
#define FLAGS       (INUSE | PREV_INUSE)
#define SMALL_LIMIT 1024u         /* chunks below it: one list per size */
#define NBINS       192u          /* 64 exact sizes, then 4 classes per power of two */
#define GROW_MIN    (16u * 1024u) /* the least a heap grows by, when the task has it */
#define PAGE        4096u

struct chunk {
	size_t prev_size;   /* the previous chunk's size, while that one is free */
	size_t head;        /* size | INUSE | PREV_INUSE */
	struct chunk *next; /* free chunks only: the bin's list */
	struct chunk *prev;
};

static struct chunk *bins[NBINS];
static uint64_t binmap[NBINS / 64];
static struct chunk *top;              /* NULL until the first allocation */
static char *heap_lo;                  /* the first chunk sbrk gave */
static size_t arena;                   /* bytes taken from sbrk */
static size_t lost;                    /* of them, alignment and fences no block can use */
static size_t free_bytes, free_chunks; /* in the bins */
static size_t max_arena;

static void heap_free(void *p);

static inline size_t chunk_size(const struct chunk *c)
{
	return c->head & ~FLAGS;
}

static inline struct chunk *at(void *base, size_t off)
{
	return (struct chunk *)((char *)base + off);
}

static inline void *block_of(struct chunk *c)
{
	return (char *)c + HDR;
}

static inline struct chunk *chunk_of(void *p)
{
	return (struct chunk *)((char *)p - HDR);
}

static void put_hex(char *buf, size_t *pos, uintptr_t v)
{
	static const char digits[] = "0123456789abcdef";
	buf[(*pos)++] = '0';
	buf[(*pos)++] = 'x';
	for (int shift = (int)(sizeof v * 8) - 4; shift >= 0; shift -= 4)
		buf[(*pos)++] = digits[(v >> shift) & 15];
}

/* Ends the task: "WHAT: WHY 0x...". Built without printf, which may allocate. */
__attribute__((noreturn)) static void heap_fault(const char *what, const char *why, const void *p)
{
	char msg[128];
	size_t pos = 0;
	for (const char *s = what; *s && pos < 60; s++)
		msg[pos++] = *s;
	msg[pos++] = ':';
	msg[pos++] = ' ';
	for (const char *s = why; *s && pos < 100; s++)
		msg[pos++] = *s;
	msg[pos++] = ' ';
	put_hex(msg, &pos, (uintptr_t)p);
	msg[pos] = '\0';
	rw_panic(msg);
}

static unsigned bin_index(size_t size)
{
	if (size < SMALL_LIMIT)
		return (unsigned)(size >> 4);
	unsigned lg = 63u - (unsigned)__builtin_clzll((unsigned long long)size); /* >= 10 */
	unsigned i = 64u + (lg - 10u) * 4u + (unsigned)((size >> (lg - 2u)) & 3u);
	return i < NBINS ? i : NBINS - 1u;
}

/* The first bin from i on that holds a chunk, or NBINS. */
static unsigned next_bin(unsigned i)
{
	while (i < NBINS) {
		uint64_t m = binmap[i >> 6] >> (i & 63u);
		if (m)
			return i + (unsigned)__builtin_ctzll(m);
		i = (i | 63u) + 1u;
	}
	return NBINS;
}

static void bin_insert(struct chunk *c)
{
	unsigned i = bin_index(chunk_size(c));
	c->prev = NULL;
	c->next = bins[i];
	if (c->next)
		c->next->prev = c;
	bins[i] = c;
	binmap[i >> 6] |= (uint64_t)1 << (i & 63u);
	free_bytes += chunk_size(c);
	free_chunks++;
}

/* Whether a free chunk's link can be followed: NULL, or a chunk of the heap. */
static inline int link_ok(const struct chunk *x)
{
	return !x || (!((uintptr_t)x & 15u) && (const char *)x >= heap_lo && x < top);
}

static void bin_remove(struct chunk *c)
{
	unsigned i = bin_index(chunk_size(c));
	if (!link_ok(c->prev) || !link_ok(c->next) || (c->prev ? c->prev->next : bins[i]) != c ||
	    (c->next && c->next->prev != c))
		heap_fault("malloc", "a free list is corrupted at", c);
	if (c->prev)
		c->prev->next = c->next;
	else
		bins[i] = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (!bins[i])
		binmap[i >> 6] &= ~((uint64_t)1 << (i & 63u));
	free_bytes -= chunk_size(c);
	free_chunks--;
}

/* Marks c (size bytes) free in its successor's header. */
static void set_free_tag(struct chunk *c, size_t size)
{
	struct chunk *n = at(c, size);
	n->prev_size = size;
	n->head &= ~PREV_INUSE;
}

/* A chunk that fits size bytes, out of its bin, or NULL. */
static struct chunk *take_fit(size_t size)
{
	unsigned i = bin_index(size);
	if (i >= 64u) {
		/* A size class: the smallest chunk of its list that fits. */
		struct chunk *best = NULL;
		for (struct chunk *c = bins[i]; c; c = c->next) {
			size_t s = chunk_size(c);
			if (s >= size && (!best || s < chunk_size(best))) {
				best = c;
				if (s == size)
					break;
			}
		}
		if (best) {
			bin_remove(best);
			return best;
		}
		i++;
	}
	/* Every chunk of a later bin is larger, except in the last, which has no upper bound. */
	unsigned j = next_bin(i);
	if (j >= NBINS)
		return NULL;
	struct chunk *c = bins[j];
	if (j == NBINS - 1u)
		while (c && chunk_size(c) < size)
			c = c->next;
	if (c)
		bin_remove(c);
	return c;
}

/* Leaves keep bytes of in-use chunk c in use and frees what follows, if a chunk's worth. */
static void trim_chunk(struct chunk *c, size_t keep)
{
	size_t size = chunk_size(c);
	if (size - keep < MIN_CHUNK)
		return;
	c->head = keep | INUSE | (c->head & PREV_INUSE);
	struct chunk *rest = at(c, keep);
	rest->head = (size - keep) | INUSE | PREV_INUSE;
	heap_free(block_of(rest));
}

/* Makes top hold at least need + MIN_CHUNK bytes. False when sbrk cannot. */
static int grow(size_t need)
{
	char *brk = sbrk(0);
	if (brk == (char *)-1)
		return 0;
	int contiguous = top && (char *)top + chunk_size(top) == brk;
	size_t have = contiguous ? chunk_size(top) : 0;
	size_t pad = contiguous ? 0 : (size_t)(-(uintptr_t)brk & 15u);
	size_t want = need + MIN_CHUNK;
	if (want < need)
		return 0;
	size_t least = pad + (want > have ? want - have : 0);
	size_t ask = least < GROW_MIN ? GROW_MIN : (least + PAGE - 1u) & ~(size_t)(PAGE - 1u);
	if (ask < least || (ptrdiff_t)ask < 0)
		return 0;
	char *got = sbrk((ptrdiff_t)ask);
	if (got == (char *)-1 && ask != least) {
		ask = least;
		got = sbrk((ptrdiff_t)ask);
	}
	if (got == (char *)-1)
		return 0;
	if (got != brk)
		heap_fault("malloc", "sbrk moved the break while it grew the heap, at", got);
	arena += ask;
	if (arena > max_arena)
		max_arena = arena;
	if (contiguous) {
		top->head += ask;
		return 1;
	}
	struct chunk *old_top = top;
	lost += pad;
	top = (struct chunk *)(void *)(got + pad);
	top->prev_size = 0;
	top->head = (ask - pad) | PREV_INUSE;
	if (!heap_lo || (char *)top < heap_lo)
		heap_lo = (char *)top;
	if (old_top) {
		/* Another caller of sbrk took the memory after the old top: it becomes a free
		 * chunk closed by an in-use 16-byte fence, or, too small for that, is given up.
		 * (Freed once top is the new one: free() takes no block at or past top.) */
		size_t old = chunk_size(old_top);
		if (old >= MIN_CHUNK + HDR) {
			struct chunk *fence = at(old_top, old - HDR);
			fence->head = HDR | INUSE | PREV_INUSE;
			old_top->head = (old - HDR) | INUSE | (old_top->head & PREV_INUSE);
			lost += HDR;
			heap_free(block_of(old_top));
		} else {
			old_top->head |= INUSE;
			lost += old;
		}
	}
	return 1;
}

/* The chunk size for an n-byte block, or 0 when there is none. */
static size_t chunk_for(size_t n)
{
	if (n > PTRDIFF_MAX - HDR - 15u)
		return 0;
	size_t size = (n + HDR + 15u) & ~(size_t)15u;
	return size < MIN_CHUNK ? MIN_CHUNK : size;
}

/* The in-use chunk of block p, checked: what a caller may hand to free() or realloc(). */
static struct chunk *checked_chunk(void *p, const char *who)
{
	struct chunk *c = chunk_of(p);
	if (((uintptr_t)p & 15u) || !top || (char *)c < heap_lo || c >= top)
		heap_fault(who, "not a block in use (freed already, or not from malloc):", p);
	size_t size = chunk_size(c);
	if (!(c->head & INUSE) || size < MIN_CHUNK || (char *)top - (char *)c < (ptrdiff_t)size ||
	    !(at(c, size)->head & PREV_INUSE))
		heap_fault(who, "not a block in use (freed already, or not from malloc):", p);
	return c;
}

static void *heap_alloc_once(size_t n)
{
	size_t size = chunk_for(n);
	if (!size) {
		errno = ENOMEM;
		return NULL;
	}
	struct chunk *c = take_fit(size);
	if (c) {
		size_t s = chunk_size(c);
		c->head = s | INUSE | (c->head & PREV_INUSE);
		at(c, s)->head |= PREV_INUSE;
		trim_chunk(c, size);
		return block_of(c);
	}
	if ((!top || chunk_size(top) < size + MIN_CHUNK) && !grow(size)) {
		errno = ENOMEM;
		return NULL;
	}
	c = top;
	size_t rest = chunk_size(top) - size;
	c->head = size | INUSE | (c->head & PREV_INUSE);
	top = at(c, size);
	top->head = rest | PREV_INUSE;
	return block_of(c);
}

extern const int rw__recv_note_kept; /* 1 in Rewind's programs (sys.c); 0 in bench/qemu builds */

/*
 * heap_alloc_once, and while the task serves a request a "no room" found again: a skipped
 * instruction in the size check (RISC-V `li a5,-63` at its entry: the bound from a stale
 * register) or in the search made a PUT that had room answer ENOMEM, an error reply nothing
 * checks (a skip sweep of kv, session 56). The allocator is deterministic, so a second search
 * from the same heap finds what the first should have; a block found the second time is a
 * failed assertion, which txipc undoes (the block with it). A working server runs out of room
 * rarely, so this costs nothing until it does.
 */
static void *heap_alloc(size_t n)
{
	void *p = heap_alloc_once(n);
	if (!p && rw__recv_note_kept && rw__recv_note_at()->sum != 0 && heap_alloc_once(n))
		rw_panic("malloc: no room found, then room found for the same block (a transient "
		         "fault)");
	return p;
}

static void heap_free(void *p)
{
	if (!p)
		return;
	struct chunk *c = checked_chunk(p, "free");
	size_t size = chunk_size(c);
	struct chunk *n = at(c, size);
	if (!(c->head & PREV_INUSE)) {
		struct chunk *before = (struct chunk *)((char *)c - c->prev_size);
		if (chunk_size(before) != c->prev_size || (before->head & INUSE))
			heap_fault("free", "the chunk before this block is corrupted:", p);
		bin_remove(before);
		size += c->prev_size;
		c = before;
	}
	if (n == top) {
		c->head = (size + chunk_size(top)) | (c->head & PREV_INUSE);
		top = c;
		return;
	}
	if (!(n->head & INUSE)) {
		bin_remove(n);
		size += chunk_size(n);
	}
	c->head = size | (c->head & PREV_INUSE);
	set_free_tag(c, size);
	bin_insert(c);
}

/*
 * The functions a program calls. Weak, as picolibc's are replaceable: a program that brings
 * its own allocator (all of malloc, free, calloc and realloc, and what else it calls) links
 * with it instead.
 */
#define RW_WEAK __attribute__((weak))

RW_WEAK void *malloc(size_t n)
{
	return heap_alloc(n);
}

RW_WEAK void free(void *p)
{
	heap_free(p);
}

RW_WEAK void cfree(void *p)
{
	heap_free(p);
}

RW_WEAK void *calloc(size_t count, size_t n)
{
	size_t total;
	if (__builtin_mul_overflow(count, n, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	void *p = heap_alloc(total);
	if (p)
		memset(p, 0, total);
	return p;
}

RW_WEAK void *realloc(void *p, size_t n)
{
	if (!p)
		return heap_alloc(n);
	if (n == 0) {
		heap_free(p);
		return NULL;
	}
	struct chunk *c = checked_chunk(p, "realloc");
	size_t want = chunk_for(n);
	if (!want) {
		errno = ENOMEM;
		return NULL;
	}
	size_t size = chunk_size(c);
	if (want <= size) {
		trim_chunk(c, want);
		return p;
	}
	struct chunk *n2 = at(c, size);
	if (n2 == top && (chunk_size(top) >= want - size + MIN_CHUNK || grow(want - size)) &&
	    at(c, size) == top) {
		size_t rest = chunk_size(top) - (want - size);
		c->head = want | INUSE | (c->head & PREV_INUSE);
		top = at(c, want);
		top->head = rest | PREV_INUSE;
		return p;
	}
	if (n2 != top && !(n2->head & INUSE) && size + chunk_size(n2) >= want) {
		bin_remove(n2);
		size += chunk_size(n2);
		c->head = size | INUSE | (c->head & PREV_INUSE);
		at(c, size)->head |= PREV_INUSE;
		trim_chunk(c, want);
		return p;
	}
	void *q = heap_alloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, size - HDR);
	heap_free(p);
	return q;
}

RW_WEAK void *memalign(size_t align, size_t n)
{
	if (align <= HDR)
		return heap_alloc(n);
	if (align & (align - 1u)) { /* as glibc: the next power of two */
		if (align > ((size_t)1 << (sizeof(size_t) * 8 - 2)))
			goto nomem;
		align = (size_t)1 << (64 - __builtin_clzll((unsigned long long)align));
	}
	size_t size = chunk_for(n);
	if (!size || size > PTRDIFF_MAX - align - MIN_CHUNK)
		goto nomem;
	char *p = heap_alloc(size + align + MIN_CHUNK);
	if (!p)
		return NULL;
	struct chunk *c = chunk_of(p);
	uintptr_t a = ((uintptr_t)p + align - 1u) & ~(uintptr_t)(align - 1u);
	if (a != (uintptr_t)p) {
		while (a - (uintptr_t)p < MIN_CHUNK)
			a += align;
		size_t lead = a - (uintptr_t)p;
		struct chunk *ac = chunk_of((void *)a);
		ac->head = (chunk_size(c) - lead) | INUSE | PREV_INUSE;
		c->head = lead | INUSE | (c->head & PREV_INUSE);
		heap_free(p);
		c = ac;
	}
	trim_chunk(c, size);
	return block_of(c);
nomem:
	errno = ENOMEM;
	return NULL;
}

RW_WEAK void *aligned_alloc(size_t align, size_t n)
{
	if (align == 0 || (align & (align - 1u))) {
		errno = EINVAL;
		return NULL;
	}
	return memalign(align, n);
}

RW_WEAK int posix_memalign(void **out, size_t align, size_t n)
{
	if (align < sizeof(void *) || (align & (align - 1u)))
		return EINVAL;
	int saved = errno;
	void *p = memalign(align, n);
	errno = saved;
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

RW_WEAK void *valloc(size_t n)
{
	return memalign(PAGE, n);
}

RW_WEAK void *pvalloc(size_t n)
{
	if (n > SIZE_MAX - PAGE) {
		errno = ENOMEM;
		return NULL;
	}
	return memalign(PAGE, (n + PAGE - 1u) & ~(size_t)(PAGE - 1u));
}

RW_WEAK size_t malloc_usable_size(void *p)
{
	return p ? chunk_size(checked_chunk(p, "malloc_usable_size")) - HDR : 0;
}

RW_WEAK struct mallinfo mallinfo(void)
{
	struct mallinfo mi;
	memset(&mi, 0, sizeof mi);
	size_t top_size = top ? chunk_size(top) : 0;
	mi.arena = arena;
	mi.ordblks = free_chunks + (top_size ? 1 : 0);
	mi.fordblks = free_bytes + top_size;
	mi.uordblks = arena - lost - mi.fordblks;
	mi.keepcost = top_size;
	return mi;
}

RW_WEAK void malloc_stats(void)
{
	struct mallinfo mi = mallinfo();
	fprintf(stderr,
	        "max system bytes = %10zu\nsystem bytes     = %10zu\nin use bytes     = %10zu\n",
	        max_arena, mi.arena, mi.uordblks);
}

RW_WEAK int mallopt(int param, int value)
{
	(void)param;
	(void)value;
	return 0; /* no tunables */
}

RW_WEAK int malloc_trim(size_t pad)
{
	(void)pad;
	return 0; /* the kernel never shrinks a heap */
}
