/*
 * bigtx_client - sets bigtx_server's value to 41, reads it back, sends a request that
 * writes 1,100 pages (more than the undo log holds), then reads the value again.  Prints
 * "bigtx_client: ok", or what went wrong (RW_EDEAD: the server was restarted and lost it).
 */
#include <stdio.h>
#include <rewind/rewind.h>

static rw_cap ep;

static long req(uint64_t label, uint64_t w0, uint64_t *out)
{
	long r;
	rw_msg m;
	RW_RETRY_RECOVERED(r, (m = (rw_msg){ .label = label, .w = { w0 } }, rw_rpc(ep, &m)), 4);
	*out = m.w[0];
	return r;
}

int main(void)
{
	uint64_t v = 0;
	RW_ASSERT(rw_cap_get("bigtx", &ep) == 0);
	long r1 = req(1, 41, &v);
	long r2 = req(2, 0, &v);
	uint64_t v2 = v;
	long r3 = req(3, 1100, &v);
	uint64_t v3 = v;
	long r4 = req(2, 0, &v);
	if (r1 != 0 || r2 != 0 || v2 != 41 || r3 != 0 || v3 != 41 || r4 != 0 || v != 41) {
		printf("bigtx_client: FAIL: %ld %ld %lu %ld %lu %ld %lu\n", r1, r2,
		       (unsigned long)v2, r3, (unsigned long)v3, r4, (unsigned long)v);
		return 1;
	}
	printf("bigtx_client: ok\n");
	return 0;
}
