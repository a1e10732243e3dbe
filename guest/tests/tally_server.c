/*
 * tally_server (serves "tally", uses "slots", recovery = "txipc") - a caller that checks its
 * callee's answers: each request (label 1) increments slot 0 of slot_server and asserts that
 * the answer is one more than its own count of the increments it made, then answers the
 * count in w0.  In t_tally, TxIpcCalleeTest corrupts slot 0 in slot_server's memory long
 * before tally's first increment: tally's assertion fails in every run again, and only a check
 * of slot_server's answers that replays its history back past the corruption mends it.
 * Built again as tally_a and tally_b (TALLY 1 and 2: serving "tally_a"/"tally_b", incrementing
 * slot 0/1, and sleeping 2 ms between the answer and its check) for t_tally_two, where two
 * callers get wrong answers from slot_server before either's check of them begins.
 */
#include <stdint.h>
#include <rewind/rewind.h>

#if TALLY == 1
#define TALLY_EP   "tally_a"
#define SLOT_LABEL 1
#define PAUSE_NS   2000000
#elif TALLY == 2
#define TALLY_EP   "tally_b"
#define SLOT_LABEL 2
#define PAUSE_NS   2000000
#else
#define TALLY_EP   "tally"
#define SLOT_LABEL 1
#endif

static rw_cap slots;
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
	rw_msg c = { SLOT_LABEL, { 0, 0, 0, 0 }, 0 };
	long r;
	RW_RETRY_RECOVERED(r, (c = (rw_msg){ SLOT_LABEL, { 0, 0, 0, 0 }, 0 }, rw_rpc(slots, &c)),
	                   4);
	RW_ASSERT(r == 0);
#ifdef PAUSE_NS
	rw_sleep_ns(PAUSE_NS);
#endif
	RW_ASSERT(c.w[0] == count + 1);
	count++;
	m->label = 0;
	m->w[0] = count;
	m->len = 0;
}

int main(void)
{
	rw_cap ep;
	RW_ASSERT(rw_cap_get(TALLY_EP, &ep) == 0);
	RW_ASSERT(rw_cap_get("slots", &slots) == 0);
	rw_serve(ep, handle, NULL);
}
