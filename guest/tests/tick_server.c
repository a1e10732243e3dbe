/*
 * tick_server - a txipc server with a periodic timer whose work fails every time: it waits
 * with WAIT_ANY for a request or 300 ms, answers each request (label 1) with its generation,
 * and on every timeout runs work that fails an assertion (as it would on state a fault had
 * corrupted for good).  Each failure is rolled back and the server makes its WAIT_ANY again;
 * the wait was due already, so it ends at once, fails again, and ten such aborts escalate to
 * a restart (TxIpcTest).  Before, the WAIT_ANY was made again with its whole timeout, the
 * work failed once every 300 ms, never ten times within abort_window_ms, and the server went
 * on without ever doing it.
 */
#include <rewind/rewind.h>

static volatile uint64_t ticks;

int main(void)
{
	rw_cap ep;
	rw_msg m;
	uint64_t badge;

	RW_ASSERT(rw_cap_get("tick", &ep) == 0);
	for (;;) {
		long r = rw_wait_any(ep, RW_CAP(-1), 300000000ULL, &m, &badge, 0);

		if (r == RW_ETIMEDOUT) {
			ticks++;
			RW_ASSERT(ticks == 0); /* the timed work that always fails */
			continue;
		}
		RW_ASSERT(r == 0);
		m = (rw_msg){ 0, { rw_task_generation(rw_task_self()), 0, 0, 0 }, 0 };
		RW_ASSERT(rw_reply(&m) == 0);
	}
}
