/*
 * carry_client - the client of carry_server: sets 16 words of the source page, makes 40 requests
 * that do not touch it (so that the server's next requests no longer log it up front), has it
 * copied, reads back words 0..4 of the copy, has the source page written after a reply (LATE) and
 * stamped (TOUCH), then checks every copied word.  TxIpcCarryTest flips a bit of carry_src[5] in memory in request 50, before the
 * copy: the copy carries it, and only TOUCH's copy check finds the page changed.  ERECOVERED is
 * retried (at most 4 tries).  Prints "carry_client: ok requests=N" (N = 80), or FAIL and exits 1.
 */
#include <stdio.h>
#include <rewind/rewind.h>

static rw_cap srv;
static unsigned requests;

static uint64_t call(uint64_t label, uint64_t w0, uint64_t w1)
{
	rw_msg m;
	long r;

	RW_RETRY_RECOVERED(r, (m = (rw_msg){ label, { w0, w1, 0, 0 }, 0 }, rw_rpc(srv, &m)), 4);
	if (r != 0) {
		printf("carry_client: FAIL request %u: %ld\n", requests, r);
		rw_exit(1);
	}
	requests++;
	return m.w[0];
}

static uint64_t value(uint64_t i)
{
	return (i + 1) * 0x0101010101010101ULL;
}

static int check(uint64_t i)
{
	uint64_t got = call(3, i, 0);
	if (got == value(i))
		return 0;
	printf("carry_client: FAIL word %lu of the copy = %#lx, expected %#lx\n", (unsigned long)i,
	       (unsigned long)got, (unsigned long)value(i));
	return 1;
}

int main(void)
{
	RW_ASSERT(rw_cap_get("carry", &srv) == 0);
	for (uint64_t i = 0; i < 16; i++)
		call(1, i, value(i));
	for (int i = 0; i < 40; i++)
		call(3, 100, 0);
	call(2, 0, 0);
	for (uint64_t i = 0; i < 5; i++)
		if (check(i))
			return 1;
	call(5, 0, 0);
	call(4, 0, 0);
	for (uint64_t i = 0; i < 16; i++)
		if (check(i))
			return 1;
	printf("carry_client: ok requests=%u\n", requests);
	return 0;
}
