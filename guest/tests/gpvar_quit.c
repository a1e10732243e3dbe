/*
 * gpvar_quit - a client that stops gpvar_server: three ADDs, each answer checked, then QUIT
 * (label 3), which must answer 0. Prints "gpvar_quit: ok".
 */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_cap srv;
	RW_ASSERT(rw_cap_get("gpvar", &srv) == 0);
	for (uint64_t i = 1; i <= 3; i++) {
		rw_msg m = { 1, { 5, 0, 0, 0 }, 0 };
		if (rw_rpc(srv, &m) != 0 || m.w[0] != 5 * i) {
			printf("gpvar_quit: FAIL add %lu\n", (unsigned long)i);
			return 1;
		}
	}
	rw_msg q = { 3, { 0, 0, 0, 0 }, 0 };
	long r = rw_rpc(srv, &q);
	if (r != 0) {
		printf("gpvar_quit: FAIL quit: %ld\n", r);
		return 1;
	}
	printf("gpvar_quit: ok\n");
	return 0;
}
