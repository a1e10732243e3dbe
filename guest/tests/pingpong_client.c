/* pingpong_client (uses "pingpong"): times null IPC calls and null syscalls.
 * Prints "ipcbench: calls=<n> ns=<total>", "ipcbench: syscalls=<n> ns=<total>". */
#include <stdio.h>
#include <rewind/rewind.h>

#define N 200000

int main(void)
{
	long cap = rw_cap_lookup_str("pingpong");
	if (cap < 0) {
		printf("ipcbench: FAIL lookup pingpong: %s\n", rw_strerror(cap));
		return 1;
	}

	uint64_t t0 = rw_clock_ns();
	for (long i = 0; i < N; i++) {
		rw_msg m = { 0 };
		long r = rw_call(RW_CAP(cap), &m);
		if (r != 0) {
			printf("ipcbench: FAIL call %ld: %s\n", i, rw_strerror(r));
			return 1;
		}
	}
	uint64_t t1 = rw_clock_ns();
	printf("ipcbench: calls=%d ns=%lu\n", N, (unsigned long)(t1 - t0));

	t0 = rw_clock_ns();
	for (long i = 0; i < N; i++)
		(void)rw_task_self();
	t1 = rw_clock_ns();
	printf("ipcbench: syscalls=%d ns=%lu\n", N, (unsigned long)(t1 - t0));
	return 0;
}
