/* worker: same priority as spinner; only finishes if the kernel preempts. */
#include <stdio.h>
#include <rewind/rewind.h>

static uint64_t compute(uint64_t seed, int n)
{
	for (int i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
	}
	return seed;
}

volatile uint64_t worker_sink;

int main(void)
{
	uint64_t x = 42;

	for (int i = 0; i < 5; i++) {
		x = compute(x, 200000);
		printf("worker: step %d\n", i);
		rw_yield();
	}
	worker_sink = x;
	printf("worker: done\n");
	return 0;
}
