/*
 * lease_server (serves "lease") - per-client resources freed after a reply when their client is
 * gone (rw_client_alive), as an outside B+tree's cursors are (session 55). TAKE (label 1) takes
 * a lease for the calling client and answers how many it holds; COUNT (label 2) answers that
 * count. An own loop: rw_recv, rw_dispatch, rw_reply, then the reaping (the work after a reply),
 * which asks CLIENT_ALIVE for each client that holds a lease. A wrong 0 from it (a spoiled badge
 * register at the system call) freed a live client's leases with no trap; rw_client_alive asks
 * a 0 again and fails stop when the client lives (ClientAliveCheckTest).
 */
#include <stdio.h>
#include <rewind/proto.h>

#define NLEASES 16

static struct {
	int used;
	uint64_t badge;
} leases[NLEASES];

static long count_of(uint64_t badge)
{
	long n = 0;
	for (int i = 0; i < NLEASES; i++)
		n += leases[i].used && leases[i].badge == badge;
	return n;
}

static long do_take(const rw_request *r)
{
	for (int i = 0; i < NLEASES; i++)
		if (!leases[i].used) {
			leases[i].used = 1;
			leases[i].badge = r->badge;
			r->out->w[0] = (uint64_t)count_of(r->badge);
			return 0;
		}
	return RW_ENOMEM;
}

static long do_count(const rw_request *r)
{
	r->out->w[0] = (uint64_t)count_of(r->badge);
	return 0;
}

#define NONE4                                              \
	{                                                  \
		RW_W_ZERO, RW_W_ZERO, RW_W_ZERO, RW_W_ZERO \
	}

static const rw_op ops[] = {
	{ { 1, NONE4, { 0, 0, 0, 0 }, 0, RW_RULE_NO_POSITIVE }, do_take },
	{ { 2, NONE4, { 0, 0, 0, 0 }, 0, RW_RULE_NO_POSITIVE }, do_count },
};

int main(void)
{
	rw_cap ep;
	RW_ASSERT(rw_cap_get("lease", &ep) == 0);
	rw_msg m;
	uint64_t badge;
	RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
	for (;;) {
		rw_dispatch(ops, RW_NOPS(ops), &m, badge, NULL);
		RW_ASSERT(rw_reply(&m) == 0);
		for (int i = 0; i < NLEASES; i++)
			if (leases[i].used && rw_client_alive(ep, leases[i].badge) == 0)
				leases[i].used = 0;
		RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
	}
}
