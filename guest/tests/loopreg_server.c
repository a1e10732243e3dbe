/*
 * loopreg_server (serves "loopreg") - a txipc server with its own loop, as the SDK's README shows
 * one: rw_recv, rw_dispatch over its table, a plain rw_reply, then work after the reply (a step
 * count), and rw_recv again. The table's address stays in a callee-saved register of main for the
 * whole loop (a bit flipped there commits with the request and every later request is refused:
 * docs/RECOVERY.md, "An outside interval tree server", not fixed).
 *
 * ADD (label 1: w0 = x) adds x to the client's total (one per badge, as a server keeps a session
 * per client) and answers the total (w0) and the count (w1); GET (label 2) answers the client's
 * total and count and the steps (w2); any other label is ENOSYS (the client sends label 9 now and
 * then, a refusal it expects). A handler given another badge than its request's answers another
 * client's total: OwnLoopServerTest flips the badge on its way to the handler.
 */
#include <rewind/proto.h>

static uint64_t total[8], count[8], steps;

static long do_add(const rw_request *r)
{
	uint64_t b = r->badge & 7;

	total[b] += r->in->w[0];
	count[b]++;
	r->out->w[0] = total[b];
	r->out->w[1] = count[b];
	return 0;
}

static long do_get(const rw_request *r)
{
	uint64_t b = r->badge & 7;

	r->out->w[0] = total[b];
	r->out->w[1] = count[b];
	r->out->w[2] = steps;
	return 0;
}

static const rw_op ops[] = {
	{ { 1,
	    { RW_W_ANY, RW_W_ZERO, RW_W_ZERO, RW_W_ZERO },
	    { 0, 0, 0, 0 },
	    0,
	    RW_RULE_NO_POSITIVE },
	  do_add },
	{ { 2,
	    { RW_W_ZERO, RW_W_ZERO, RW_W_ZERO, RW_W_ZERO },
	    { 0, 0, 0, 0 },
	    0,
	    RW_RULE_NO_POSITIVE },
	  do_get },
};

int main(void)
{
	rw_cap ep;
	rw_msg m;
	uint64_t badge;

	RW_ASSERT(rw_cap_get("loopreg", &ep) == 0);
	RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
	for (;;) {
		rw_dispatch(ops, RW_NOPS(ops), &m, badge, NULL);
		RW_ASSERT(rw_reply(&m) == 0);
		steps++; /* the work after the reply */
		RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
	}
}
