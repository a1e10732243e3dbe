/*
 * lease_client - takes 3 leases of lease_server, then asks their count 40 times (each request
 * followed by the server's reaping after its reply, which must never take a live client's
 * leases). Retries RW_ERECOVERED. Prints "lease_client: ok" or a FAIL line.
 */
#include <stdio.h>
#include <rewind/rewind.h>

static rw_cap srv;

static long ask(uint64_t label, uint64_t *out)
{
	rw_msg m = { label, { 0, 0, 0, 0 }, 0 };
	long r = rw_call(srv, &m);
	if (r == 0)
		r = (long)m.label;
	*out = m.w[0];
	return r;
}

int main(void)
{
	RW_ASSERT(rw_cap_get("lease", &srv) == 0);
	uint64_t n;
	long r;
	for (uint64_t i = 1; i <= 3; i++) {
		RW_RETRY_RECOVERED(r, ask(1, &n), 8);
		if (r != 0 || n != i) {
			printf("lease_client: FAIL TAKE %llu: status %ld, holds %llu\n",
			       (unsigned long long)i, r, (unsigned long long)n);
			return 1;
		}
	}
	for (int i = 0; i < 40; i++) {
		RW_RETRY_RECOVERED(r, ask(2, &n), 8);
		if (r != 0 || n != 3) {
			printf("lease_client: FAIL COUNT %d: status %ld, holds %llu, expected 3\n",
			       i, r, (unsigned long long)n);
			return 1;
		}
	}
	printf("lease_client: ok\n");
	return 0;
}
