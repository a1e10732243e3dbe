/*
 * compact_client - the client of compact_server: 64 SETs and GETs over its 32 slots, every answer
 * checked, then STEPS, which must count one compaction step per request committed before it.
 * ERECOVERED is retried (at most 4 tries).  Prints "compact_client: ok requests=N" (N = 129).
 */
#include <stdio.h>
#include <rewind/rewind.h>

static rw_cap srv;
static unsigned requests;

static uint64_t call(uint64_t label, uint64_t slot, uint64_t value)
{
	rw_msg m;
	long r;

	RW_RETRY_RECOVERED(r, (m = (rw_msg){ label, { slot, value, 0, 0 }, 0 }, rw_rpc(srv, &m)),
	                   4);
	if (r != 0) {
		printf("compact_client: FAIL request %u: %ld\n", requests, r);
		rw_exit(1);
	}
	requests++;
	return m.w[0];
}

int main(void)
{
	uint64_t model[32] = { 0 };

	RW_ASSERT(rw_cap_get("compact", &srv) == 0);
	for (uint64_t i = 0; i < 64; i++) {
		uint64_t slot = (i * 7) % 32, value = i * 0x9e3779b97f4a7c15ULL;
		call(1, slot, value);
		model[slot] = value;
		uint64_t got = call(2, (i * 11) % 32, 0);
		if (got != model[(i * 11) % 32]) {
			printf("compact_client: FAIL slot %lu = %#lx, expected %#lx\n",
			       (unsigned long)((i * 11) % 32), (unsigned long)got,
			       (unsigned long)model[(i * 11) % 32]);
			return 1;
		}
	}
	uint64_t before = requests, steps = call(3, 0, 0);
	if (steps != before) {
		printf("compact_client: FAIL steps %lu, expected %lu\n", (unsigned long)steps,
		       (unsigned long)before);
		return 1;
	}
	printf("compact_client: ok requests=%u\n", requests);
	return 0;
}
