/*
 * heap_speed: nanoseconds per malloc/free pair under churn, in the guest, with CLOCK. Built
 * twice (guest/Makefile): heap_speed.elf links the SDK's allocator (sdk/malloc.c),
 * heap_speed_libc.elf picolibc's nano-malloc.
 *
 *   ./rewind boot builtin:heap_speed.elf; ./rewind boot builtin:heap_speed_libc.elf
 *
 * One line per case: "heap_speed: <case> live=<n> ns_per_op=<t>" (the best of 3 rounds; an op
 * is a free of a random live block and a malloc of a new one), then the 16-byte alignment
 * of the blocks it saw.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <rewind/rewind.h>

#define MAX_LIVE 4096

static void *live[MAX_LIVE];
static uint64_t rng;
static unsigned long blocks, misaligned;

static uint32_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void run(const char *name, unsigned nlive, size_t lo, size_t hi, unsigned ops)
{
	uint64_t best = UINT64_MAX;
	for (int round = 0; round < 3; round++) {
		rng = 0x243f6a8885a308d3u + (uint64_t)round;
		for (unsigned i = 0; i < nlive; i++)
			live[i] = malloc(lo + next_random() % (hi - lo + 1));
		uint64_t t0 = rw_clock_ns();
		for (unsigned i = 0; i < ops; i++) {
			unsigned k = next_random() % nlive;
			free(live[k]);
			live[k] = malloc(lo + next_random() % (hi - lo + 1));
			uintptr_t u = (uintptr_t)live[k];
			__asm__ volatile("" : "+r"(u));
			misaligned += (u & 15u) != 0;
			blocks++;
		}
		uint64_t t = rw_clock_ns() - t0;
		for (unsigned i = 0; i < nlive; i++)
			free(live[i]);
		if (t < best)
			best = t;
	}
	printf("heap_speed: %s live=%u ns_per_op=%llu\n", name, nlive,
	       (unsigned long long)(best / ops));
}

int main(void)
{
	run("small 16..128", 64, 16, 128, 200000);
	run("small 16..128", 2048, 16, 128, 200000);
	run("mixed 16..4096", 2048, 16, 4096, 100000);
	run("large 4K..64K", 256, 4096, 65536, 20000);
	printf("heap_speed: %lu blocks, %lu not 16-byte aligned\n", blocks, misaligned);
	return 0;
}
