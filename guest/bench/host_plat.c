/*
 * bench_ns() on the host, to develop the programs and compute their
 * checksums with the host compiler (not part of any build):
 *   cc -O2 -DBENCH_EXPECT_ANY -Iguest/bench guest/bench/sort.c guest/bench/host_plat.c
 */
#include <time.h>
#include "bench.h"

uint64_t bench_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
