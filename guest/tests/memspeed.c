/*
 * memspeed: time per KiB of memcpy, memmove and memset, in the guest, with
 * CLOCK.  Built twice (guest/Makefile): memspeed.elf links the SDK's
 * word-sized versions (sdk/string.c), memspeed_libc.elf picolibc's.
 *
 *   ./rewind boot builtin:memspeed.elf; ./rewind boot builtin:memspeed_libc.elf
 *
 * One line per case: "memspeed: <case> bytes=<n> ns_per_kib=<t>" (the best
 * of 5 rounds of `reps` calls each).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <rewind/rewind.h>

#define BIG 4096

static unsigned char a[BIG + 64] __attribute__((aligned(64)));
static unsigned char b[BIG + 64] __attribute__((aligned(64)));

/* volatile: the compiler must not inline or drop the calls. */
static volatile size_t vsize;
static volatile int voff;

enum op { CPY, MOVE_UP, SET };

static void run(const char *name, enum op op, size_t n, int soff, int doff, unsigned reps)
{
	uint64_t best = UINT64_MAX;

	vsize = n;
	voff = soff;
	for (int round = 0; round < 5; round++) {
		uint64_t t0 = rw_clock_ns();
		for (unsigned i = 0; i < reps; i++) {
			switch (op) {
			case CPY:
				memcpy(b + doff, a + voff, vsize);
				break;
			case MOVE_UP: /* overlapping, destination above: copies backwards */
				memmove(a + voff + 8, a + voff, vsize);
				break;
			case SET:
				memset(b + doff, (int)i, vsize);
				break;
			}
		}
		uint64_t t = rw_clock_ns() - t0;
		if (t < best)
			best = t;
	}
	printf("memspeed: %-22s bytes=%-5lu ns_per_kib=%lu\n", name, (unsigned long)n,
	       (unsigned long)(best * 1024 / ((uint64_t)n * reps)));
}

int main(void)
{
	for (unsigned i = 0; i < sizeof a; i++)
		a[i] = (unsigned char)(i * 7);
	run("memcpy_aligned", CPY, BIG, 0, 0, 20);
	run("memcpy_misaligned", CPY, BIG, 3, 0, 20);
	run("memcpy_small", CPY, 64, 0, 0, 1000);
	run("memmove_overlap", MOVE_UP, BIG, 0, 0, 20);
	run("memset", SET, BIG, 0, 0, 20);
	run("memset_small", SET, 64, 0, 5, 1000);
	return 0;
}
