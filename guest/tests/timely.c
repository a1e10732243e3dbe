/* timely: sleeps 5 ms twenty times, each time checking the sleep ended on time, while a
 * task of lower priority spins without system calls (t_starve.toml).  A timer's wake is
 * contention: the spinner's slice must end at its quantum for the kernel to wake the
 * timely.  Prints "timely: ok (N ms)" (exit 0), or "timely: FAIL ..." (exit 1) if one
 * sleep took over 2 s. */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	uint64_t start = rw_clock_ns();

	for (int i = 0; i < 20; i++) {
		uint64_t t0 = rw_clock_ns();
		rw_sleep_ns(5000000);
		uint64_t ms = (rw_clock_ns() - t0) / 1000000;
		if (ms > 2000) {
			printf("timely: FAIL sleep %d of 5 ms took %lu ms\n", i, (unsigned long)ms);
			return 1;
		}
	}
	printf("timely: ok (%lu ms)\n", (unsigned long)((rw_clock_ns() - start) / 1000000));
	return 0;
}
