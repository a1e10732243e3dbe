/*
 * tick_client - tick_server's client: a request, a second's sleep (three of the server's
 * periods), a request again (after a restart of the server: EDEAD, then once more on the
 * refreshed capability).  Prints "tick_client: ok generation=G", G the generation of the
 * server that answered last.
 */
#include <stdio.h>
#include <rewind/rewind.h>

static rw_cap srv;

static long ask(uint64_t *gen)
{
	for (int tries = 0; tries < 8; tries++) {
		rw_msg m = { 1, { 0, 0, 0, 0 }, 0 };
		long r = rw_rpc(srv, &m);
		if (r == RW_EDEAD) {
			RW_ASSERT(rw_cap_refresh(srv, NULL) == 0);
			continue;
		}
		if (r == RW_ERECOVERED)
			continue;
		*gen = m.w[0];
		return r;
	}
	return RW_ERECOVERED;
}

int main(void)
{
	uint64_t gen = 0;

	RW_ASSERT(rw_cap_get("tick", &srv) == 0);
	if (ask(&gen) != 0) {
		printf("tick_client: FAIL: the first request\n");
		return 1;
	}
	rw_sleep_ns(1000000000ULL);
	long r = ask(&gen);
	if (r != 0) {
		printf("tick_client: FAIL: the second request: %s\n", rw_strerror(r));
		return 1;
	}
	printf("tick_client: ok generation=%llu\n", (unsigned long long)gen);
	return 0;
}
