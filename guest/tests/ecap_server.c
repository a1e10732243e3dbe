/*
 * ecap_server (serves "ecap", recovery = "txipc") - a server whose own nested call is refused
 * with ECAP in every request: its optional backend is not in its manifest, and it answers "no
 * backend" (w0 = 1) when the call is refused so, with its count of requests in w1.  The kernel
 * takes the first such refusal inside a request for a spoiled slot and runs the request again;
 * the same call in that run is the program's own, and later ones on that slot are answered at
 * once (TxIpc.checkRefusedCall): the server is never restarted for them (t_ecap).
 */
#include <stdint.h>
#include <rewind/rewind.h>

#define BACKEND_SLOT 40 /* no capability in the manifest fills it */

static uint64_t count;

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	(void)badge;
	(void)ctx;
	if (m->label != 1) {
		m->label = (uint64_t)RW_ENOSYS;
		m->len = 0;
		return;
	}
	rw_msg c = { 7, { 0, 0, 0, 0 }, 0 };
	long r = rw_call(RW_CAP(BACKEND_SLOT), &c);
	count++;
	m->label = 0;
	m->w[0] = r == RW_ECAP ? 1 : 0;
	m->w[1] = count;
	m->len = 0;
}

int main(void)
{
	rw_cap ep;
	RW_ASSERT(rw_cap_get("ecap", &ep) == 0);
	rw_serve(ep, handle, NULL);
}
