/* librewind: the standard server loop. */
#include <rewind/rewind.h>

void rw_serve(int ep, rw_handler handle, void *ctx)
{
	rw_msg m;
	uint64_t badge = 0;
	long r = rw_recv(ep, &m, &badge);

	for (;;) {
		if (r < 0) {
			/*
			 * Nothing received: the endpoint is unusable, or the
			 * reply half of REPLY_RECV failed (caller gone).  Then
			 * no caller is pending: just receive again.
			 */
			if (r == RW_ECAP)
				rw_panic("rw_serve: not a receive capability");
			rw_yield();
			r = rw_recv(ep, &m, &badge);
			continue;
		}
		handle(&m, badge, ctx);
		r = rw_reply_recv(ep, &m, &badge);
	}
}
