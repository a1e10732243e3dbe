/*
 * tail_client - tail_server's client: sets its 16 slots, then 3 rounds of a SET and a GET of
 * each of slots 1..15, then GETs every slot; every answer checked.  ERECOVERED is retried (at
 * most 4 tries).  Prints "tail_client: ok requests=N" (N = 16 + 3 * 30 + 16 = 122).
 */
#include <stdio.h>
#include <stdlib.h>
#include <rewind/rewind.h>

static rw_cap srv;
static unsigned requests;

static uint64_t call(uint64_t label, uint64_t slot, uint64_t value)
{
	long r;
	rw_msg m;

	RW_RETRY_RECOVERED(r, (m = (rw_msg){ label, { slot, value, 0, 0 }, 0 }, rw_rpc(srv, &m)),
	                   4);
	requests++;
	if (r != 0) {
		printf("tail_client: FAIL: label %llu slot %llu: %s\n", (unsigned long long)label,
		       (unsigned long long)slot, rw_strerror(r));
		exit(1);
	}
	return m.w[0];
}

static uint64_t value(unsigned slot, unsigned round)
{
	return 0x1000 * (round + 1) + slot;
}

int main(void)
{
	uint64_t want[16];

	RW_ASSERT(rw_cap_get("tail", &srv) == 0);
	for (unsigned s = 0; s < 16; s++) {
		want[s] = value(s, 0);
		call(1, s, want[s]);
	}
	for (unsigned round = 1; round <= 3; round++)
		for (unsigned s = 1; s < 16; s++) {
			want[s] = value(s, round);
			call(1, s, want[s]);
			if (call(2, s, 0) != want[s]) {
				printf("tail_client: FAIL: slot %u\n", s);
				return 1;
			}
		}
	for (unsigned s = 0; s < 16; s++)
		if (call(2, s, 0) != want[s]) {
			printf("tail_client: FAIL: slot %u holds another value\n", s);
			return 1;
		}
	printf("tail_client: ok requests=%u\n", requests);
	return 0;
}
