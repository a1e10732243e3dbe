/*
 * stamp_client (uses "stamp" and "stamp_ev", owns "stamp_seen"): drives
 * stamp_server and checks every answer against its own model.
 *
 * Phase 1 sets every slot once; phase 2 sets and gets slots 1..31 for
 * STAMP_ROUNDS rounds (slot 0 is not touched); phase 3 gets every slot.
 * Before every third request it signals "stamp_ev", and checks that the
 * server counted exactly the signals sent; it checks that a SET's stamp is
 * what later GETs return, that clock stamps never go backwards (nor those of
 * the wall clock, which a SET also returns and GETs too), and, by
 * polling "stamp_seen" before and after each SET, that each SET notified it
 * exactly once (a replay must not notify again), and at the end that nothing
 * notified it since.  A request answered
 * RW_ERECOVERED had no effect and is retried (at most 3 times).
 * Prints "stamp: ok requests=N" and exits 0, or "stamp: FAIL ..." and exits 1.
 */
#include <stdio.h>
#include <rewind/rewind.h>

#define STAMP_SLOTS 32
#ifndef STAMP_ROUNDS
#define STAMP_ROUNDS 4
#endif

static rw_cap srv, ev, seen;
static uint64_t value[STAMP_SLOTS], stamp[STAMP_SLOTS], wall[STAMP_SLOTS];
static uint64_t signals, requests, last_stamp, last_wall;

static void fail(const char *what, uint64_t slot, long got, long want)
{
	printf("stamp: FAIL request %lu (%s slot %lu): got %ld, expected %ld\n",
	       (unsigned long)requests, what, (unsigned long)slot, got, want);
	rw_exit(1);
}

/* One request; returns the reply (label 0), after retrying ERECOVERED. */
static rw_msg call(uint64_t label, uint64_t slot, uint64_t v)
{
	rw_msg m;

	if (requests % 3 == 0) {
		rw_notify(ev, 1);
		signals++;
	}
	requests++;
	long r;
	RW_RETRY_RECOVERED(
	        r, (m.label = label, m.w[0] = slot, m.w[1] = v, m.len = 0, rw_call(srv, &m)), 4);
	if (r == RW_ERECOVERED)
		fail("ERECOVERED 4 times in a row", slot, r, 0);
	if (r != 0)
		fail("call", slot, r, 0);
	if (m.label != 0)
		fail(label == 1 ? "set" : "get", slot, (long)m.label, 0);
	return m;
}

static void set(uint64_t slot, uint64_t v)
{
	uint64_t bits = 1;

	if (rw_poll(seen, &bits) != 0 || bits != 0)
		fail("notified before set", slot, (long)bits, 0);
	rw_msg m = call(1, slot, v);
	if (m.w[1] != signals)
		fail("set: events", slot, (long)m.w[1], (long)signals);
	if (m.w[0] < last_stamp)
		fail("set: stamp went backwards", slot, (long)m.w[0], (long)last_stamp);
	last_stamp = stamp[slot] = m.w[0];
	if (m.w[2] < last_wall)
		fail("set: wall clock went backwards", slot, (long)m.w[2], (long)last_wall);
	last_wall = wall[slot] = m.w[2];
	value[slot] = v;
	if (rw_poll(seen, &bits) != 0 || bits != 1)
		fail("notified by set", slot, (long)bits, 1);
}

static void get(uint64_t slot)
{
	rw_msg m = call(2, slot, 0);

	if (m.w[0] != value[slot])
		fail("get: value", slot, (long)m.w[0], (long)value[slot]);
	if (m.w[1] != stamp[slot])
		fail("get: stamp", slot, (long)m.w[1], (long)stamp[slot]);
	if (m.w[2] != signals)
		fail("get: events", slot, (long)m.w[2], (long)signals);
	if (m.w[3] != wall[slot])
		fail("get: wall clock stamp", slot, (long)m.w[3], (long)wall[slot]);
}

int main(void)
{
	if (rw_cap_get("stamp", &srv) < 0 || rw_cap_get("stamp_ev", &ev) < 0 ||
	    rw_cap_get("stamp_seen", &seen) < 0) {
		printf("stamp: FAIL missing capability\n");
		return 1;
	}
	for (uint64_t i = 0; i < STAMP_SLOTS; i++)
		set(i, 1000 + i);
	for (uint64_t r = 0; r < STAMP_ROUNDS; r++)
		for (uint64_t i = 1; i < STAMP_SLOTS; i++) {
			set(i, r * 100 + i);
			get(i);
		}
	for (uint64_t i = 0; i < STAMP_SLOTS; i++)
		get(i);
	uint64_t bits = 1;
	if (rw_poll(seen, &bits) != 0 || bits != 0)
		fail("notified after the last set", 0, (long)bits, 0);
	printf("stamp: ok requests=%lu\n", (unsigned long)requests);
	return 0;
}
