/* refcall_client (uses "rc"): three requests, answered counts 1, 2 and 3, whatever the server's
 * runs again did.  Prints "refcall: ok" (t_refcall). */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_cap rc;
	RW_ASSERT(rw_cap_get("rc", &rc) == 0);
	for (uint64_t i = 1; i <= 3; i++) {
		rw_msg m = { 1, { 0, 0, 0, 0 }, 0 };
		long r = rw_call(rc, &m);
		if (r != 0 || m.label != 0 || m.w[0] != i) {
			printf("refcall: FAIL request %llu: %s label %lld count %llu\n",
			       (unsigned long long)i, rw_strerror(r), (long long)m.label,
			       (unsigned long long)m.w[0]);
			return 1;
		}
	}
	printf("refcall: ok\n");
	return 0;
}
