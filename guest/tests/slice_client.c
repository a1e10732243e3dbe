/* slice_client (uses "ipc_echo"): 6 calls to ipc_echo, each checked, label = CLIENT << 8 | call.
 * Built twice, for two clients of equal priority (t_slices): slice_work works for millions of
 * instructions between its calls without a syscall, slice_call calls at once.  Under time slices
 * of CPU time (t_slices' quantum is 1 ms) slice_work's work is preempted and slice_call's calls
 * come in between; under the slices a campaign counts in syscalls (Kernel.setCountedSlices) the
 * two take turns at their calls, in every boot.  Prints "NAME: ok sum=N". */
#include <stdio.h>
#include <rewind/rewind.h>

#ifdef SLICE_WORK
#define NAME   "slice_work"
#define CLIENT 1
#else
#define NAME   "slice_call"
#define CLIENT 2
#endif

int main(void)
{
	rw_cap ep;
	if (rw_cap_get("ipc_echo", &ep) < 0) {
		printf(NAME ": FAIL no endpoint\n");
		return 1;
	}
	volatile uint64_t sum = 0;
	for (uint64_t i = 0; i < 6; i++) {
#ifdef SLICE_WORK
		for (uint64_t j = 0; j < 4000000; j++)
			sum += j ^ i;
#endif
		rw_msg m = { CLIENT << 8 | i, { i, 0, 0, 0 }, 0 };
		long r = rw_call(ep, &m);
		if (r != 0 || m.label != ((CLIENT << 8 | i) ^ 0xFFFF) || m.w[0] != i + 1) {
			printf(NAME ": FAIL call %llu: %s\n", (unsigned long long)i,
			       rw_strerror(r));
			return 1;
		}
	}
	printf(NAME ": ok sum=%llu\n", (unsigned long long)sum);
	return 0;
}
