/*
 * gpvar_client - the client of gpvar_server: 64 ADDs, every answer checked, then a GET whose
 * steps must count the 64 requests committed before it. ERECOVERED is retried (at most 4 tries).
 * Prints "gpvar_client: ok requests=65".
 */
#include <stdio.h>
#include <rewind/rewind.h>

static rw_cap srv;
static unsigned requests;

static void call(uint64_t label, uint64_t x, uint64_t *out)
{
	rw_msg m;
	long r;

	RW_RETRY_RECOVERED(r, (m = (rw_msg){ label, { x, 0, 0, 0 }, 0 }, rw_rpc(srv, &m)), 4);
	if (r != 0) {
		printf("gpvar_client: FAIL request %u: %ld\n", requests, r);
		rw_exit(1);
	}
	requests++;
	for (int i = 0; i < 3; i++)
		out[i] = m.w[i];
}

int main(void)
{
	uint64_t total = 0, out[3];

	RW_ASSERT(rw_cap_get("gpvar", &srv) == 0);
	for (uint64_t i = 1; i <= 64; i++) {
		uint64_t x = i * 0x10001 + 7;
		total += x;
		call(1, x, out);
		if (out[0] != total || out[1] != i) {
			printf("gpvar_client: FAIL add %lu: total %#lx count %lu, expected %#lx "
			       "%lu\n",
			       (unsigned long)i, (unsigned long)out[0], (unsigned long)out[1],
			       (unsigned long)total, (unsigned long)i);
			return 1;
		}
	}
	call(2, 0, out);
	if (out[0] != total || out[1] != 64 || out[2] != 64) {
		printf("gpvar_client: FAIL get: total %#lx count %lu steps %lu\n",
		       (unsigned long)out[0], (unsigned long)out[1], (unsigned long)out[2]);
		return 1;
	}
	printf("gpvar_client: ok requests=%u\n", requests);
	return 0;
}
