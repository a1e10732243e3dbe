/* heldcap_server (serves "hc"; txipc): replies with a plain REPLY, then waits with WAIT_ANY on
 * the endpoint slot it keeps in memory.  Label 1 answers w0 + 1 and its generation; label 9
 * answers too but first spoils that slot (as a flipped register of the loop would), so its next
 * WAIT_ANY is ECAP and the loop's check fails: inside the request, whose reply is still held
 * (t_heldcap, GuestSystemTest).  Label 10 answers, then calls "echo" with a length longer than
 * the IPC buffer (as a flipped length register would): ETOOBIG at once, and the check of that
 * call fails, inside the request too. */
#include <rewind/rewind.h>

static volatile long loop_ep;

int main(void)
{
	rw_cap ep, echo;
	rw_msg m;
	uint64_t badge;

	RW_ASSERT(rw_cap_get("hc", &ep) == 0);
	RW_ASSERT(rw_cap_get("echo", &echo) == 0);
	loop_ep = ep.slot;
	for (;;) {
		long r = rw_wait_any(RW_CAP(loop_ep), RW_CAP(-1), 0, &m, &badge, 0);
		RW_ASSERT(r == 0);
		uint64_t label = m.label;
		if (label == 9)
			loop_ep = 77;
		m = (rw_msg){ 0, { m.w[0] + 1, rw_task_generation(rw_task_self()), 0, 0 }, 0 };
		RW_ASSERT(rw_reply(&m) == 0);
		if (label == 10) {
			rw_msg e = { 1, { 0, 0, 0, 0 }, (uint64_t)RW_IPC_BUF_SIZE + 1 };
			RW_ASSERT(rw_call(echo, &e) == 0);
		}
	}
}
