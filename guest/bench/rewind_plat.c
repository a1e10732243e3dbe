/* bench_ns() for the benchmark programs under Rewind: the CLOCK system call. */
#include <rewind/rewind.h>
#include "bench.h"

uint64_t bench_ns(void)
{
	return rw_clock_ns();
}
