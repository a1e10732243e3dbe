/*
 * The SDK's malloc (sdk/malloc.c) as a program uses it: every block 16-byte aligned, blocks
 * that keep their bytes through random malloc / calloc / realloc / free churn, the aligned
 * allocators, the failures C specifies, and a heap that comes back whole when everything is
 * freed. With -DHEAP_FAULT=1 it frees a block twice, with 2 frees a pointer into a block,
 * with 3 overwrites a freed block's list links and allocates again: each must end the task
 * with the allocator's message (SdkTest).
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned checks, failed;

#define CHECK(cond)                                                                     \
	do {                                                                            \
		checks++;                                                               \
		if (!(cond)) {                                                          \
			failed++;                                                       \
			printf("heap: check failed at line %d: %s\n", __LINE__, #cond); \
		}                                                                       \
	} while (0)

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* The address as a number the compiler cannot reason about (it may assume malloc's alignment). */
static uintptr_t opaque(const void *p)
{
	uintptr_t u = (uintptr_t)p;
	__asm__ volatile("" : "+r"(u));
	return u;
}

#define SLOTS 400

struct slot {
	unsigned char *p;
	size_t n;
	unsigned char fill;
};

static struct slot slots[SLOTS];

static int intact(const struct slot *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->p[i] != (unsigned char)(s->fill + i))
			return 0;
	return 1;
}

static void paint(struct slot *s)
{
	for (size_t i = 0; i < s->n; i++)
		s->p[i] = (unsigned char)(s->fill + i);
}

static size_t random_size(void)
{
	uint32_t r = next_random();
	switch (r % 8) {
	case 0:
		return r % 17; /* 0..16 */
	case 1:
	case 2:
	case 3:
		return r % 256;
	case 4:
	case 5:
		return r % 2048;
	case 6:
		return r % 16384;
	default:
		return 16384 + r % 65536;
	}
}

static void churn(unsigned rounds)
{
	unsigned misaligned = 0, damaged = 0, short_blocks = 0, unzeroed = 0, nulls = 0;
	for (unsigned round = 0; round < rounds; round++) {
		struct slot *s = &slots[next_random() % SLOTS];
		unsigned op = next_random() % 4;
		if (s->p && !intact(s))
			damaged++;
		if (s->p && op < 2) {
			free(s->p);
			s->p = NULL;
			continue;
		}
		size_t n = random_size();
		unsigned char *p;
		if (s->p && op == 2) {
			size_t keep = n < s->n ? n : s->n;
			p = realloc(s->p, n);
			if (!p && n) {
				nulls++;
				continue;
			}
			s->p = p;
			size_t old = s->n;
			s->n = keep; /* what realloc kept must still be there */
			if (p && !intact(s))
				damaged++;
			s->n = n;
			(void)old;
		} else {
			free(s->p);
			if (op == 3) {
				p = calloc(1, n);
				if (p)
					for (size_t i = 0; i < n; i++)
						unzeroed += p[i] != 0;
			} else {
				p = malloc(n);
			}
			s->p = p;
			s->n = n;
		}
		if (!s->p) {
			if (n)
				nulls++;
			s->n = 0;
			continue;
		}
		misaligned += (opaque(s->p) & 15u) != 0;
		short_blocks += malloc_usable_size(s->p) < s->n;
		s->fill = (unsigned char)next_random();
		paint(s);
	}
	CHECK(misaligned == 0);
	CHECK(damaged == 0);
	CHECK(short_blocks == 0);
	CHECK(unzeroed == 0);
	CHECK(nulls == 0);
	for (unsigned i = 0; i < SLOTS; i++) {
		if (slots[i].p)
			CHECK(intact(&slots[i]));
		free(slots[i].p);
		slots[i].p = NULL;
	}
}

static void aligned_ones(void)
{
	for (size_t align = 32; align <= 8192; align <<= 1) {
		void *a = memalign(align, 100);
		void *b = aligned_alloc(align, 3 * align);
		void *c = NULL;
		CHECK(posix_memalign(&c, align, 1) == 0);
		CHECK(a && (opaque(a) & (align - 1)) == 0);
		CHECK(b && (opaque(b) & (align - 1)) == 0);
		CHECK(c && (opaque(c) & (align - 1)) == 0);
		if (a)
			memset(a, 0xa5, 100);
		if (b)
			memset(b, 0x5a, 3 * align);
		free(a);
		free(b);
		free(c);
	}
	void *p = (void *)1;
	CHECK(posix_memalign(&p, 24, 8) == EINVAL && p == (void *)1);
	CHECK(posix_memalign(&p, 4, 8) == EINVAL);
	errno = 0;
	CHECK(aligned_alloc(48, 96) == NULL && errno == EINVAL);
	void *v = valloc(10);
	CHECK(v && (opaque(v) & 4095u) == 0);
	free(v);
}

/* Sizes the compiler must not see (it warns of a request it can tell is too large). */
static volatile size_t huge = SIZE_MAX - 8, half = SIZE_MAX / 2, tera = (size_t)1 << 40;

static void edges(void)
{
	void *z1 = malloc(0), *z2 = malloc(0);
	CHECK(z1 && z2 && z1 != z2);
	free(z1);
	free(z2);
	free(NULL);
	char *r = realloc(NULL, 40);
	CHECK(r != NULL);
	strcpy(r, "kept across a grow");
	r = realloc(r, 5000);
	CHECK(r && strcmp(r, "kept across a grow") == 0);
	r = realloc(r, 8);
	CHECK(r && memcmp(r, "kept acr", 8) == 0);
	CHECK(realloc(r, 0) == NULL);
	errno = 0;
	CHECK(malloc(huge) == NULL && errno == ENOMEM);
	errno = 0;
	CHECK(calloc(half, 3) == NULL && errno == ENOMEM);
	errno = 0;
	CHECK(malloc(tera) == NULL && errno == ENOMEM);
	void *big = malloc(1 << 20);
	CHECK(big != NULL);
	free(big);
}

/*
 * Another caller of sbrk (a program's own arena) takes the memory after the heap's top: the
 * heap must grow past it, leave its bytes alone and keep every block's (the old top became a
 * free chunk, which free() used to refuse as "not a block in use").
 */
static void foreign_sbrk(void)
{
	unsigned char *a = malloc(100);
	CHECK(a != NULL);
	memset(a, 0x11, 100);
	unsigned char *raw = sbrk(4096);
	CHECK(raw != (void *)-1);
	memset(raw, 0x5a, 4096);
	size_t big = mallinfo().keepcost + 64 * 1024; /* more than top holds: a new top past raw */
	unsigned char *b = malloc(big);
	CHECK(b != NULL && (opaque(b) & 15u) == 0);
	memset(b, 0x22, big);
	unsigned char *c = realloc(a, big + 4096); /* and again, for a block that must move */
	CHECK(c != NULL && c[0] == 0x11 && c[99] == 0x11);
	unsigned bad = 0;
	for (int i = 0; i < 4096; i++)
		bad += raw[i] != 0x5a;
	CHECK(bad == 0);
	free(b);
	free(c);
	CHECK(mallinfo().uordblks == 0);
}

int main(void)
{
	struct mallinfo before = mallinfo();
	edges();
	aligned_ones();
	churn(20000);
	struct mallinfo after = mallinfo();
	/* Everything freed: every byte of the heap is free again, in one piece or a few. */
	CHECK(after.uordblks == 0);
	CHECK(after.arena >= before.arena);
	foreign_sbrk();
#ifdef HEAP_FAULT
	/* (through opaque(): gcc drops a malloc whose block is only freed) */
	char *a = (char *)opaque(malloc(64)), *b = (char *)opaque(malloc(64));
	(void)b;
	if (HEAP_FAULT == 1) {
		free(a);
		free((void *)opaque(a));
	} else if (HEAP_FAULT == 2) {
		free(a + opaque((void *)16));
	} else {
		char *c = (char *)opaque(malloc(64));
		free(a);
		memset((void *)opaque(a), 0x41,
		       16); /* the freed block's links, now pointing nowhere */
		free(c);
		printf("heap: %p\n", malloc(64));
	}
	printf("heap: the fault was not caught\n");
	return 1;
#endif
	printf("heap: %u checks, %u failed\n", checks, failed);
	return failed != 0;
}
