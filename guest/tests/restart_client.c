/*
 * restart_client (uses "kv", whose recovery is "restart"): crashes the kv
 * server and checks the generation protocol.  Prints the lines below and
 * "restart_client: ok" (exit 0), or "restart_client: FAIL ..." (exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/kv.h>
#include "../servers/debug_fault.h"

static void fail(const char *what, long r)
{
	printf("restart_client: FAIL %s: %ld (%s)\n", what, r, rw_strerror(r));
	exit(1);
}

int main(void)
{
	char buf[16];
	size_t len = 0;
	uint64_t gen = 0;
	long r;

	rw_cap kv;
	long c = kv_connect("kv", &kv);
	if (c < 0)
		fail("connect", c);
	if ((r = kv_put(kv, "a", "1", 1)) != 1)
		fail("put a=1", r);
	if ((r = kv_get(kv, "a", buf, sizeof buf, &len)) != 0 || len != 1 || buf[0] != '1')
		fail("get a", r);
	printf("restart_client: put a=1\n");

	if ((r = kv_debug_fault(kv, 1)) != RW_EDEAD)
		fail("crash call", r);
	printf("restart_client: crash call -> EDEAD\n");

	if ((r = kv_get(kv, "a", buf, sizeof buf, &len)) != RW_EDEAD)
		fail("stale cap", r);
	printf("restart_client: stale cap -> EDEAD\n");

	if ((r = rw_cap_refresh(kv, &gen)) != 0)
		fail("refresh", r);
	printf("restart_client: refreshed generation %lu\n", (unsigned long)gen);

	if ((r = kv_get(kv, "a", buf, sizeof buf, &len)) != RW_ENOENT)
		fail("get after restart", r);
	printf("restart_client: state lost as expected\n");

	if ((r = kv_put(kv, "b", "22", 2)) != 1)
		fail("put b=22", r);
	if ((r = kv_get(kv, "b", buf, sizeof buf, &len)) != 0 || len != 2 ||
	    memcmp(buf, "22", 2) != 0)
		fail("get b", r);
	printf("restart_client: ok\n");
	return 0;
}
