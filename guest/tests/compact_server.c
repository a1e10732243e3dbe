/*
 * compact_server - a txipc server that does bounded background work after each answer: it replies
 * with a plain REPLY and, before its next receive, runs one compaction step (checks the seal of
 * one slot, round robin, and counts the step), with no system call in between that would release
 * the held reply.  That work is after the reply: `rewind inject --window after-reply` strikes it
 * (RequestStrikeTest; an outside document store does a compaction step after each answer so).
 *
 * Thirty-two sealed slots: SET (label 1: w0 = slot, w1 = value) stores a value and its seal,
 * GET (label 2: w0 = slot) answers the value (w0), STEPS (label 3) answers how many compaction
 * steps ran (one after each request committed before it: w0).
 */
#include <rewind/rewind.h>

#define SLOTS 32
#define SEAL  0x5eed0fc0a1e5ce00ULL

struct slot {
	uint64_t value, seal;
};

struct slot compact_slots[SLOTS];
static uint64_t steps, cursor;

static long handle(rw_msg *m)
{
	uint64_t i = m->w[0];

	if (m->label == 3) {
		m->w[0] = steps;
		return 0;
	}
	if (i >= SLOTS)
		return RW_EINVAL;
	if (m->label == 1) {
		compact_slots[i].value = m->w[1];
		compact_slots[i].seal = m->w[1] ^ SEAL;
		m->w[0] = 0;
		return 0;
	}
	if (m->label == 2) {
		m->w[0] = compact_slots[i].value;
		return 0;
	}
	return RW_ENOSYS;
}

/* The work after each reply: one slot's seal checked, the step counted. */
static void compact_step(void)
{
	struct slot *s = &compact_slots[cursor++ % SLOTS];

	RW_ASSERT(s->seal == (s->value ^ SEAL));
	steps++;
}

int main(void)
{
	rw_cap ep;
	rw_msg m;
	uint64_t badge;

	for (int i = 0; i < SLOTS; i++)
		compact_slots[i].seal = SEAL;
	RW_ASSERT(rw_cap_get("compact", &ep) == 0);
	for (;;) {
		RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
		long status = handle(&m);
		m.label = (uint64_t)status;
		m.w[1] = m.w[2] = m.w[3] = 0;
		m.len = 0;
		RW_ASSERT(rw_reply(&m) == 0);
		compact_step();
	}
}
