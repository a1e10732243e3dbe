/*
 * stall_server (serves "stall", owns the notification "stall_never", which no task
 * signals): keeps a sum.  Label 1 adds w0 and replies with the sum; label 2 adds 1000,
 * then waits on stall_never inside the request (WAIT), label 3 the same with WAIT_ANY on
 * the notification alone and no timeout: neither ever answers.  When nothing else can run,
 * the kernel faults such a server (a deadlock); under txipc the request is rolled back
 * (the 1000 undone, the client gets ERECOVERED) and the server serves on
 * (GuestSystemTest, t_stall.toml).  Label 4 never answers either, busy: it yields forever
 * (stall_client_spin: the run's time budget ends it, and its summary names who waits on whom).
 */
#include <stdio.h>
#include <rewind/rewind.h>

static long sum;
static rw_cap never;

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	uint64_t bits;

	(void)badge;
	(void)ctx;
	switch (m->label) {
	case 1:
		sum += (long)m->w[0];
		break;
	case 2:
		sum += 1000;
		rw_wait(never, &bits);
		break;
	case 3:
		sum += 1000;
		rw_wait_any(RW_CAP(-1), never, 0, NULL, NULL, &bits);
		break;
	case 4:
		for (;;)
			rw_yield();
	default:
		m->label = (uint64_t)RW_ENOSYS;
		m->len = 0;
		return;
	}
	m->label = 0;
	m->w[0] = (uint64_t)sum;
	m->len = 0;
}

int main(void)
{
	rw_cap ep;

	RW_ASSERT(rw_cap_get("stall", &ep) == 0);
	RW_ASSERT(rw_cap_get("stall_never", &never) == 0);
	rw_serve(ep, handle, NULL);
}
