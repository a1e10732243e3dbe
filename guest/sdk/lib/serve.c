/* librewind: the standard server loop. */
#include <rewind/rewind.h>

void rw_serve(rw_cap ep, rw_handler handle, void *ctx)
{
	rw_msg m;
	uint64_t badge = 0;
	long r = rw_recv(ep, &m, &badge);

	for (;;) {
		if (r < 0) {
			/*
			 * Nothing received.  A reply longer than the IPC buffer
			 * (ETOOBIG: the kernel did not send it, the caller still
			 * waits) or a receive with a reply owed (ESTATE) means the
			 * handler's state is corrupt: fail stop, so the kernel's
			 * recovery sees a fault instead of a livelocked server.
			 * Otherwise the reply half failed because the caller went
			 * away: no caller is pending, just receive again.
			 */
			if (r == RW_ECAP)
				rw_panic("rw_serve: not a receive capability");
			if (r == RW_ETOOBIG)
				rw_panic("rw_serve: reply longer than the IPC buffer");
			if (r == RW_ESTATE)
				rw_panic("rw_serve: receive with a reply owed");
			rw_yield();
			r = rw_recv(ep, &m, &badge);
			continue;
		}
		handle(&m, badge, ctx);
		r = rw_reply_recv(ep, &m, &badge);
	}
}
