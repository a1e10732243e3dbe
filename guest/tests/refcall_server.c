/* refcall_server (serves "rc", uses "rq"; txipc): a request (label 1) asks refcall_keeper to
 * count for the client id it keeps in memory (rc_client, 3) and asserts the answer was accepted;
 * it answers the keeper's count (w0).  TxIpcTest spoils rc_client for one run of a request: the
 * keeper refuses that call (EINVAL) and the assertion fails; the run again asks for client 3,
 * another call than its first run's, which the keeper refused: it is sent (t_refcall). */
#include <rewind/rewind.h>

volatile uint64_t rc_client = 3;

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	rw_cap *rq = ctx;
	(void)badge;
	if (m->label != 1) {
		*m = (rw_msg){ (uint64_t)RW_ENOSYS, { 0, 0, 0, 0 }, 0 };
		return;
	}
	rw_msg q = { 1, { rc_client, 0, 0, 0 }, 0 };
	RW_ASSERT(rw_call(*rq, &q) == 0);
	RW_ASSERT(q.label == 0);
	*m = (rw_msg){ 0, { q.w[0], 0, 0, 0 }, 0 };
}

int main(void)
{
	static rw_cap ep, rq;
	RW_ASSERT(rw_cap_get("rc", &ep) == 0);
	RW_ASSERT(rw_cap_get("rq", &rq) == 0);
	rw_serve(ep, handle, &rq);
}
