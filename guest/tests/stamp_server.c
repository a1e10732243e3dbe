/*
 * stamp_server (serves "stamp", owns notification "stamp_ev", signals
 * "stamp_seen"): a table of time-stamped values whose every request makes
 * syscalls a replay cannot recompute, for TxIPC's record/replay tests.
 *
 * Each request first POLLs "stamp_ev" and adds the number of bits it got to
 * a running count of events.  Then:
 *   label 1 SET, w[0] = slot, w[1] = value: stores the value (through the
 *     slot's pointer, which SET sets), stamps it with CLOCK and WALL_CLOCK,
 *     NOTIFYs "stamp_seen" (bit 1); replies label 0, w[0] = stamp, w[1] =
 *     events, w[2] = the wall clock's stamp.
 *   label 2 GET, w[0] = slot: replies label 0, w[0] = the value (read through
 *     the slot's pointer), w[1] = its stamp, w[2] = events, w[3] = its wall
 *     clock stamp; RW_ENOENT if the slot was never set.
 * Anything else: RW_EINVAL.  The table is the exported symbol stamp_slots
 * (struct stamp_slot: the value pointer at offset 0, the stamp at 8); the
 * wall clock's stamps are kept apart, in walls.
 */
#include <rewind/rewind.h>

#define STAMP_SLOTS 32

struct stamp_slot {
	uint64_t *val;
	uint64_t stamp;
};

struct stamp_slot stamp_slots[STAMP_SLOTS];
static uint64_t store[STAMP_SLOTS], walls[STAMP_SLOTS];
static uint64_t events;
static rw_cap ev, seen;

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	uint64_t bits = 0;
	uint64_t i = m->w[0];

	(void)badge;
	(void)ctx;
	if (rw_poll(ev, &bits) == 0)
		events += (uint64_t)__builtin_popcountll(bits);
	m->len = 0;
	if (i >= STAMP_SLOTS || (m->label != 1 && m->label != 2)) {
		m->label = (uint64_t)RW_EINVAL;
		return;
	}
	struct stamp_slot *s = &stamp_slots[i];
	if (m->label == 1) {
		s->val = &store[i];
		*s->val = m->w[1];
		s->stamp = rw_clock_ns();
		walls[i] = rw_wall_clock_ns();
		rw_notify(seen, 1);
		m->label = 0;
		m->w[0] = s->stamp;
		m->w[1] = events;
		m->w[2] = walls[i];
		return;
	}
	if (s->val == 0) {
		m->label = (uint64_t)RW_ENOENT;
		return;
	}
	m->label = 0;
	m->w[0] = *s->val;
	m->w[1] = s->stamp;
	m->w[2] = events;
	m->w[3] = walls[i];
}

int main(void)
{
	rw_cap ep;

	if (rw_cap_get("stamp", &ep) < 0 || rw_cap_get("stamp_ev", &ev) < 0 ||
	    rw_cap_get("stamp_seen", &seen) < 0)
		return 1;
	rw_serve(ep, handle, NULL);
}
