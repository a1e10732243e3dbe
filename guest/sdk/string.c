/*
 * Word-sized memcpy, memmove, memset, memcmp and strlen for Rewind guests.
 *
 * picolibc is built for size: its versions move one byte per iteration, and
 * on the emulator every store is the expensive part of an instruction
 * stream.  These move 8 bytes per store wherever they can, using aligned
 * accesses only (rv64imac may trap, or be slow, on misaligned ones):
 *
 *   - a byte head until the destination is 8-byte aligned;
 *   - if the source is then aligned too, an 8-byte loop (unrolled by 4);
 *     otherwise each destination word is assembled from two aligned source
 *     words with shifts (little-endian), so loads and stores stay aligned;
 *   - a byte tail.
 *
 * Every aligned source word that is read holds at least one byte of the
 * source, so no access crosses into a page the source does not touch.
 *
 * Linked into every program as an object (like sys.c), so these definitions
 * win over picolibc's.  Compiled with -fno-builtin and
 * -fno-tree-loop-distribute-patterns so the compiler does not turn the
 * loops back into calls to themselves.  A program that wants picolibc's
 * versions sets REWIND_LIBC_STRING_<name> := 1 (see rewind.mk).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <rewind/rewind.h>

typedef uint64_t __attribute__((may_alias)) word;

#define WSZ   8u
#define WMASK (WSZ - 1u)

/* Copy n bytes forward; dst and src do not overlap, or dst < src. */
static inline __attribute__((always_inline)) unsigned char *
copy_fwd(unsigned char *d, const unsigned char *s, size_t n)
{
	if (n >= 2 * WSZ) {
		/* Byte head: align the destination. */
		while ((uintptr_t)d & WMASK) {
			*d++ = *s++;
			n--;
		}
		unsigned off = (unsigned)((uintptr_t)s & WMASK);
		word *dw = (word *)d;
		if (off == 0) {
			const word *sw = (const word *)s;
			while (n >= 4 * WSZ) {
				word a = sw[0], b = sw[1], c = sw[2], e = sw[3];
				dw[0] = a;
				dw[1] = b;
				dw[2] = c;
				dw[3] = e;
				dw += 4;
				sw += 4;
				n -= 4 * WSZ;
			}
			while (n >= WSZ) {
				*dw++ = *sw++;
				n -= WSZ;
			}
			s = (const unsigned char *)sw;
		} else {
			/*
			 * Source misaligned by off: dst word = low part of the
			 * next source word shifted up, high part of the current
			 * one shifted down.  The loop stops while at least WSZ
			 * bytes remain, so the word read ahead (sw[1]) still
			 * holds source bytes.
			 */
			unsigned rs = 8 * off, ls = 64 - rs;
			const word *sw = (const word *)(s - off);
			word cur = *sw;
			while (n >= 2 * WSZ) {
				word next = sw[1];
				*dw++ = (cur >> rs) | (next << ls);
				cur = next;
				sw++;
				n -= WSZ;
			}
			s = (const unsigned char *)sw + off;
		}
		d = (unsigned char *)dw;
	}
	while (n--)
		*d++ = *s++;
	return d;
}

/* Copy n bytes backward (from the end); for dst > src overlapping. */
static inline __attribute__((always_inline)) unsigned char *
copy_bwd(unsigned char *d, const unsigned char *s, size_t n)
{
	d += n;
	s += n;
	if (n >= 2 * WSZ) {
		/* Byte tail first: align the destination's end. */
		while ((uintptr_t)d & WMASK) {
			*--d = *--s;
			n--;
		}
		unsigned off = (unsigned)((uintptr_t)s & WMASK);
		word *dw = (word *)d;
		if (off == 0) {
			const word *sw = (const word *)s;
			while (n >= 4 * WSZ) {
				word a = sw[-1], b = sw[-2], c = sw[-3], e = sw[-4];
				dw[-1] = a;
				dw[-2] = b;
				dw[-3] = c;
				dw[-4] = e;
				dw -= 4;
				sw -= 4;
				n -= 4 * WSZ;
			}
			while (n >= WSZ) {
				*--dw = *--sw;
				n -= WSZ;
			}
			s = (const unsigned char *)sw;
		} else {
			/*
			 * sw points at the aligned word holding the byte at s
			 * (exclusive end); the bytes below s in it are source.
			 */
			unsigned rs = 8 * off, ls = 64 - rs;
			const word *sw = (const word *)(s - off);
			word cur = *sw; /* holds s[-off..-1] in its low bytes */
			while (n >= 2 * WSZ) {
				word prev = sw[-1];
				*--dw = (prev >> rs) | (cur << ls);
				cur = prev;
				sw--;
				n -= WSZ;
			}
			s = (const unsigned char *)sw + off;
		}
		d = (unsigned char *)dw;
	}
	while (n--)
		*--d = *--s;
	return d;
}

/*
 * A server's copies and fills are checked (session 54): a fault inside one (a skipped store,
 * load or pointer step in these loops, a flipped register holding a pointer or the count)
 * leaves wrong bytes behind without a trap, which the server then stores or answers (an
 * outside bank server's account names, one byte off: 3 of its 6 silent runs in 300). So while
 * the task serves a request (the SDK's receive noted one: rw__recv_note's sum is set from the
 * receive until rw_dispatch has run it), memcpy, memmove and memset read what they wrote
 * back and compare it with the source (or the fill byte); a difference is rw_panic, a fault
 * of the request that txipc undoes and runs again. An overlapping memmove, whose source is
 * overwritten, compares a sum of its source taken before the move with one of its destination
 * (session 55). Not for device registers (a second read would change the device).
 * Clients and programs that serve nothing pay one load a call.
 */
extern const int
        rw__recv_note_kept; /* 1 in Rewind's programs (sys.c); 0 where no note is kept (bench/qemu) */

static inline __attribute__((always_inline)) int serving(void)
{
	return rw__recv_note_kept && rw__recv_note_at()->sum != 0;
}

#define MMIO_SPAN (4096u * RW_MMIO_STRIDE) /* the device windows' room (4096 devices) */

static inline __attribute__((always_inline)) int plain_memory(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	return a + n <= RW_MMIO_BASE || a >= RW_MMIO_BASE + MMIO_SPAN;
}

/* Bytes [0, n) of a and b equal (word-sized where both are aligned alike). */
static int same(const unsigned char *p, const unsigned char *q, size_t n)
{
	if (n >= 2 * WSZ && (((uintptr_t)p ^ (uintptr_t)q) & WMASK) == 0) {
		while ((uintptr_t)p & WMASK) {
			if (*p++ != *q++)
				return 0;
			n--;
		}
		while (n >= WSZ) {
			if (*(const word *)p != *(const word *)q)
				return 0;
			p += WSZ;
			q += WSZ;
			n -= WSZ;
		}
	}
	for (; n; n--)
		if (*p++ != *q++)
			return 0;
	return 1;
}

/*
 * Whether a copy or fill loop stopped where it should have: at base + at. A skipped instruction
 * or a flipped register in a loop's bound (memset's byte-tail count, a word loop's n -= 32)
 * writes past the end, over the neighbouring data, while the range itself holds the right bytes
 * and its read-back sees nothing (an outside B+tree on AArch64, seed 2239819 of session 55: a
 * skipped `sub x3, x2, #1` in memset's tail cleared bytes past a cursor slot, and three later
 * replies were wrong). Both pointers pass through an empty asm, so the compiler cannot prove
 * them equal and fold the comparison away (nor reuse the loop's own bound for base + at).
 */
static inline __attribute__((always_inline)) int stopped_at(const void *end, const void *base,
                                                            size_t at)
{
	uintptr_t e = (uintptr_t)end, b = (uintptr_t)base;

	__asm__("" : "+r"(e), "+r"(b));
	return e == b + at;
}

/*
 * The checks return the destination so that memcpy, memmove and memset end in a tail call to
 * them: a call that returned into the caller's out-of-line block would end that block with a
 * jump back to the epilogue, and a skipped jump fell through into the copy's loop again with the
 * argument registers the check had clobbered (a RISC-V bank server's account name copied again
 * from elsewhere, no trap: ServingBoundCheckTest). After a skipped tail jump the copy runs again
 * with its own arguments.
 */
static __attribute__((noinline)) void *check_copy(void *dst, const void *src, size_t n,
                                                  const void *end)
{
	__asm__ volatile("" ::: "memory"); /* (read memory, not what the copy meant to write) */
	if (!stopped_at(end, dst, n))
		rw_panic("a copy stopped short of or past its end (memcpy/memmove while serving a "
		         "request)");
	if (!same(dst, src, n))
		rw_panic("a copy differs from its source (memcpy/memmove while serving a request)");
	return dst;
}

static __attribute__((noinline)) void *check_fill(unsigned char *d, unsigned char b, size_t n,
                                                  const void *end)
{
	unsigned char *dst = d;

	__asm__ volatile("" ::: "memory");
	if (!stopped_at(end, d, n))
		rw_panic(
		        "a fill stopped short of or past its end (memset while serving a request)");
	uint64_t v = b * 0x0101010101010101ULL;
	for (; n && ((uintptr_t)d & WMASK); n--)
		if (*d++ != b)
			goto bad;
	for (; n >= WSZ; n -= WSZ, d += WSZ)
		if (*(const word *)d != v)
			goto bad;
	for (; n; n--)
		if (*d++ != b)
			goto bad;
	return dst;
bad:
	rw_panic("a fill differs from its byte (memset while serving a request)");
}

/* Whether a copy of n bytes between d and s is checked: serving, no overlap, plain memory. */
static inline __attribute__((always_inline)) int copy_checked(const void *d, const void *s,
                                                              size_t n)
{
	uintptr_t a = (uintptr_t)d, b = (uintptr_t)s;

	return n != 0 && serving() && (a + n <= b || b + n <= a) && plain_memory(d, n) &&
	       plain_memory(s, n);
}

/* memcpy without the compare (rw_copy_checked compares the copy itself). */
void rw__copy_plain(void *restrict dst, const void *restrict src, size_t n)
{
	copy_fwd(dst, src, n);
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *end = copy_fwd(dst, src, n);
	if (copy_checked(dst, src, n))
		return check_copy(dst, src, n, end); /* (a tail call: see check_copy) */
	return dst;
}

/* FNV-1a of bytes [0, n) of p: what an overlapping move's source held, and its destination holds. */
static __attribute__((noinline)) uint64_t bytes_sum(const unsigned char *p, size_t n)
{
	__asm__ volatile("" ::: "memory");
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; n; n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static __attribute__((noinline)) void *check_move(unsigned char *d, size_t n, uint64_t sum,
                                                  const void *end, size_t at)
{
	if (!stopped_at(end, d, at))
		rw_panic("a move stopped short of or past its end (overlapping memmove while "
		         "serving "
		         "a request)");
	if (bytes_sum(d, n) != sum)
		rw_panic("a move differs from its source (overlapping memmove while serving a "
		         "request)");
	return d;
}

/* Whether a move of n bytes between d and s is an overlapping one that is checked: serving, plain
 * memory. Its source is overwritten, so it is compared by a sum taken before the move. */
static inline __attribute__((always_inline)) int move_checked(const void *d, const void *s,
                                                              size_t n)
{
	uintptr_t a = (uintptr_t)d, b = (uintptr_t)s;

	return a + n > b && b + n > a && serving() && plain_memory(d, n) && plain_memory(s, n);
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	/* An overlapping move (a sorted array's or a B+tree node's entries shifted by one) cannot be
	 * compared with its source afterwards: a sum of the source is taken first and compared with
	 * the destination's (an outside B+tree's node shifts, a skipped store in copy_fwd/copy_bwd:
	 * seeds 2150227, 2150387 of session 55). */
	int moving = move_checked(d, s, n);
	uint64_t sum = moving ? bytes_sum(s, n) : 0;
	unsigned char *end; /* where the copy stopped: d + n forward, d backward */
	size_t at;
	if ((uintptr_t)d - (uintptr_t)s >= n) {
		end = copy_fwd(d, s, n); /* d < s, or no overlap */
		at = n;
	} else {
		end = copy_bwd(d, s, n); /* d inside [s, s + n) */
		at = 0;
	}
	if (moving)
		return check_move(d, n, sum, end, at);
	if (copy_checked(dst, src, n))
		return check_copy(dst, src, n, end);
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	unsigned char b = (unsigned char)c;
	size_t len = n;

	if (n >= 2 * WSZ) {
		while ((uintptr_t)d & WMASK) {
			*d++ = b;
			n--;
		}
		uint64_t v = b * 0x0101010101010101ULL;
		word *dw = (word *)d;
		while (n >= 4 * WSZ) {
			dw[0] = v;
			dw[1] = v;
			dw[2] = v;
			dw[3] = v;
			dw += 4;
			n -= 4 * WSZ;
		}
		while (n >= WSZ) {
			*dw++ = v;
			n -= WSZ;
		}
		d = (unsigned char *)dw;
	}
	while (n--)
		*d++ = b;
	if (len != 0 && serving() && plain_memory(dst, len))
		return check_fill(dst, b, len, d);
	return dst;
}

static inline __attribute__((always_inline)) int compare(const unsigned char *p,
                                                         const unsigned char *q, size_t n)
{
	/* Words only when both are aligned alike; else bytes. */
	if (n >= 2 * WSZ && (((uintptr_t)p ^ (uintptr_t)q) & WMASK) == 0) {
		while ((uintptr_t)p & WMASK) {
			if (*p != *q)
				return *p - *q;
			p++;
			q++;
			n--;
		}
		while (n >= WSZ && *(const word *)p == *(const word *)q) {
			p += WSZ;
			q += WSZ;
			n -= WSZ;
		}
	}
	for (; n; n--, p++, q++) {
		if (*p != *q)
			return *p - *q;
	}
	return 0;
}

/*
 * The first difference found again: memcmp's answer while serving a request. Other code than
 * compare's (indexed words, its own byte tail), so that one skipped instruction or flipped
 * register spoils at most one of the two answers; words where both pointers are aligned alike,
 * as compare does (a byte loop cost fs 2,300 guest instructions a request).
 */
static inline __attribute__((always_inline)) int compare_again(const unsigned char *p,
                                                               const unsigned char *q, size_t n)
{
	size_t i = 0;
	if ((((uintptr_t)p ^ (uintptr_t)q) & WMASK) == 0) {
		size_t head = (WSZ - ((uintptr_t)p & WMASK)) & WMASK;
		for (; i < head && i < n; i++)
			if (p[i] != q[i])
				return p[i] - q[i];
		for (; i + WSZ <= n; i += WSZ)
			if (*(const word *)(p + i) != *(const word *)(q + i))
				break;
	}
	for (; i < n; i++)
		if (p[i] != q[i])
			return p[i] - q[i];
	return 0;
}

/*
 * memcmp's answer r, found again and compared. memcmp ends in a tail call to it, and it calls
 * nothing that returns: neither keeps a value in a register that a callee must save and
 * restore. memcmp used to hold its answer in s0 across a call of the second compare, so a
 * skipped `ld s0` in its epilogue handed its caller memcmp's answer in place of the caller's own
 * s0 (a length an outside LRU cache then stored wrong, no trap: helper AC's probe, session 58).
 */
static __attribute__((noinline)) int check_compare(const unsigned char *p, const unsigned char *q,
                                                   size_t n, int r)
{
	__asm__ volatile("" ::: "memory");
	if (compare_again(p, q, n) != r)
		rw_panic("a comparison differs from its second run (memcmp while serving a "
		         "request)");
	return r;
}

/*
 * While the task serves a request, memcmp's answer is found twice (compare, then
 * check_compare) and the two compared: a skipped instruction or a flipped register in the
 * comparison (a skipped branch in the word loop, a wrong byte difference) answered a key lookup
 * wrong with no trap, and the server then missed a key it holds (ENOKEY), counted a range wrong
 * or answered a cursor's page from the wrong place (an outside B+tree: seeds 2150027, 2150219,
 * 2150459 of session 55). A difference is rw_panic, a fault of the request that txipc undoes.
 */
int memcmp(const void *a, const void *b, size_t n)
{
	int r = compare(a, b, n);
	if (n != 0 && serving() && plain_memory(a, n) && plain_memory(b, n))
		return check_compare(a, b, n, r); /* (a tail call: see check_compare) */
	return r;
}

size_t strlen(const char *str)
{
	const char *s = str;

	while ((uintptr_t)s & WMASK) {
		if (*s == '\0')
			return (size_t)(s - str);
		s++;
	}
	/*
	 * Aligned words never cross a page, so reading the whole word that
	 * holds the terminator is safe.  (w - 0x01..) & ~w & 0x80.. is
	 * non-zero exactly when some byte of w is zero.
	 */
	const word *w = (const word *)s;
	while (!((*w - 0x0101010101010101ULL) & ~*w & 0x8080808080808080ULL))
		w++;
	s = (const char *)w;
	while (*s)
		s++;
	return (size_t)(s - str);
}
