/*
 * tail_server - a txipc server in the shape of a time-driven one: it receives with WAIT_ANY
 * (a timeout that comes from its state), replies with a plain REPLY, and between the reply
 * and its next WAIT_ANY reads the clock to work out that timeout (the "tail" of each request).
 *
 * Sixteen sealed slots: SET (label 1: w0 = slot, w1 = value) stores a value and its seal, GET
 * (label 2: w0 = slot) asserts the seal and answers the value (w0); KICKS (label 3) answers how
 * many times its client woke it through "tail_kick" (each wake counts itself: work after a wake,
 * a transaction of its own).  TxIpcReplayTest corrupts a slot's seal in a request that commits,
 * so that a later GET of it traps every time it runs: only a replay of the history can mend
 * that, and it needs the history kept over the tails and over the wakes in between.
 */
#include <rewind/rewind.h>

#define SLOTS 16
#define SEAL  0x7a11c0de5ea1ed00ULL

struct slot {
	uint64_t value, seal;
};

struct slot tail_slots[SLOTS];
static uint64_t last_request_at;
static uint64_t kicks, bad_tails;

static long handle(rw_msg *m)
{
	uint64_t i = m->w[0];

	if (i >= SLOTS)
		return RW_EINVAL;
	if (m->label == 1) {
		tail_slots[i].value = m->w[1];
		tail_slots[i].seal = m->w[1] ^ SEAL;
		m->w[0] = 0;
		return 0;
	}
	if (m->label == 2) {
		RW_ASSERT(tail_slots[i].seal == (tail_slots[i].value ^ SEAL));
		m->w[0] = tail_slots[i].value;
		return 0;
	}
	if (m->label == 3) {
		m->w[0] = kicks;
		return 0;
	}
	return RW_ENOSYS;
}

int main(void)
{
	rw_cap ep, kick;
	rw_msg m;
	uint64_t badge, bits, timeout = 0;

	RW_ASSERT(rw_cap_get("tail", &ep) == 0);
	RW_ASSERT(rw_cap_get("tail_kick", &kick) == 0);
	for (;;) {
		long r = rw_wait_any(ep, kick, timeout, &m, &badge, &bits);

		if (r == RW_ETIMEDOUT) {
			timeout = 0; /* (ten seconds without a request: the client is done) */
			continue;
		}
		if (r == RW_WOKEN) {
			kicks++;
			last_request_at = rw_clock_ns();
			continue;
		}
		RW_ASSERT(r == 0);
		long status = handle(&m);
		m.label = (uint64_t)status;
		m.w[1] = m.w[2] = m.w[3] = 0;
		m.len = 0;
		RW_ASSERT(rw_reply(&m) == 0);
		/* the tail: the next timeout, from the clock, unless slot 0 is found corrupted (then
		 * no clock: so that a replay of a request whose first run found it so goes another way
		 * after its reply, TxIpcReplayTest) */
		if (tail_slots[0].seal == (tail_slots[0].value ^ SEAL)) {
			last_request_at = rw_clock_ns();
			timeout = 10000000000ULL - (last_request_at % 1000);
		} else {
			bad_tails++;
		}
	}
}
