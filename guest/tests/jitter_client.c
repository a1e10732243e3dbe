/* jitter_client (uses "ipc_echo"): 30 calls to ipc_echo, each checked.  Built twice: jitter_sleep
 * sleeps between its calls (0.1-1.6 ms, drawn from the nanoseconds of its first clock reading,
 * which the host's timing decides), jitter_spin spins on the clock between its calls.  Every boot
 * makes the same 60 requests, but in another order each time (t_jitter: the campaign's
 * warning that a workload is not deterministic names the first request that came from another
 * client).  Prints "NAME: ok". */
#include <stdio.h>
#include <rewind/rewind.h>

#ifdef JITTER_SLEEP
#define NAME "jitter_sleep"
#else
#define NAME "jitter_spin"
#endif

int main(void)
{
	rw_cap ep;
	if (rw_cap_get("ipc_echo", &ep) < 0) {
		printf(NAME ": FAIL no endpoint\n");
		return 1;
	}
#ifdef JITTER_SLEEP
	uint64_t draw = (rw_clock_ns() * 0x9e3779b97f4a7c15u) | 1;
#endif
	for (uint64_t i = 0; i < 30; i++) {
#ifdef JITTER_SLEEP
		draw ^= draw << 13;
		draw ^= draw >> 7;
		draw ^= draw << 17;
		rw_sleep_ns(100000 + draw % 1500000);
#else
		uint64_t until = rw_clock_ns() + 250000 + (i % 3) * 150000;
		while (rw_clock_ns() < until)
			;
#endif
		rw_msg m = { i, { i, 0, 0, 0 }, 0 };
		long r = rw_call(ep, &m);
		if (r != 0 || m.label != (i ^ 0xFFFF) || m.w[0] != i + 1) {
			printf(NAME ": FAIL call %llu: %s\n", (unsigned long long)i,
			       rw_strerror(r));
			return 1;
		}
	}
	printf(NAME ": ok\n");
	return 0;
}
