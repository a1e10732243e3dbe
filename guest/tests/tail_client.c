/*
 * tail_client - tail_server's client: sets its 16 slots, then 3 rounds of a SET and a GET of
 * each of slots 1..15, each round followed by a kick (tail_kick), then GETs every slot and the
 * kicks the server counted (3); every answer checked.  ERECOVERED is retried (at most 4 tries).
 * Prints "tail_client: ok requests=N" (N = 16 + 3 * 30 + 16 + 1 = 123).
 */
#include <stdio.h>
#include <stdlib.h>
#include <rewind/rewind.h>

static rw_cap srv, kick;
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
	RW_ASSERT(rw_cap_get("tail_kick", &kick) == 0);
	for (unsigned s = 0; s < 16; s++) {
		want[s] = value(s, 0);
		call(1, s, want[s]);
	}
	for (unsigned round = 1; round <= 3; round++) {
		for (unsigned s = 1; s < 16; s++) {
			want[s] = value(s, round);
			call(1, s, want[s]);
			if (call(2, s, 0) != want[s]) {
				printf("tail_client: FAIL: slot %u\n", s);
				return 1;
			}
		}
		RW_ASSERT(rw_notify(kick, 1) == 0);
	}
	for (unsigned s = 0; s < 16; s++)
		if (call(2, s, 0) != want[s]) {
			printf("tail_client: FAIL: slot %u holds another value\n", s);
			return 1;
		}
	uint64_t kicks = call(3, 0, 0);
	if (kicks != 3) {
		printf("tail_client: FAIL: the server counted %llu kicks, not 3\n",
		       (unsigned long long)kicks);
		return 1;
	}
	printf("tail_client: ok requests=%u\n", requests);
	return 0;
}
