/*
 * fs_faults - deterministic recovery test of the fs server: a model-checked
 * workload (fs_check.h) with a "dirty" debug fault of each kind 1..6 in
 * between (the server first creates "/__debug_marker" and writes into an
 * existing file, then faults).
 *
 *   txipc:   every debug call returns RW_ERECOVERED ("kind K -> ERECOVERED"),
 *            the partial changes are rolled back and every scan passes:
 *            "fs_faults: ok ops=N recovered=6 restarts=0".
 *   restart: every debug call returns RW_EDEAD; the program refreshes the
 *            capability, scans (and finds the lost state), resets its model
 *            and goes on: "fs_faults: FAIL lost state: ..." (exit 1).
 *   none:    "fs_faults: FAIL server dead ..." (exit 1).
 */
#include <stdio.h>
#include "fs_check.h"
#include "../servers/debug_fault.h"

const char oracle_prog[] = "fs_faults";

#define OPS_BETWEEN 15

/* Makes sure the directories exist and "/t0" holds data (all checked). */
static void setup(void)
{
	for (int d = 1; d < FIRST_FILE; d++) {
		op_make(d);
		settle();
	}
	op_make(FIRST_FILE);
	settle();
	op_write(FIRST_FILE);
	settle();
}

int main(void)
{
	char why[32];

	rng = 0x94D049BB133111EBULL;
	lenient = 1;
	reset_model();
	long r = fs_connect("fs", &srv);
	if (r < 0)
		fail("connect: %s", fs_strerror(r));

	setup();
	for (int kind = 1; kind <= 6; kind++) {
		for (int n = 0; n < OPS_BETWEEN; n++) {
			random_op();
			settle();
		}
		setup(); /* never fault on an empty file system */

		begin("debug fault %d", kind);
		long r = fs_debug_fault_dirty(srv, kind);
		if (r == RW_ERECOVERED) {
			recovered++;
			printf("%s: kind %d -> ERECOVERED\n", PROG, kind);
			full_scan(); /* the marker and the write are gone */
			settle();
		} else if (r == RW_EDEAD) {
			snprintf(why, sizeof why, "kind %d", kind);
			on_dead(why);
			need_resync = 1;
			settle();
		} else {
			fail("kind %d: debug fault returned %ld (%s)", kind, r, fs_strerror(r));
		}
	}
	full_scan();
	settle();
	if (lost[0])
		fail("lost state: %s", lost);
	show_hidden();
	printf("%s: ok ops=%lu recovered=%lu restarts=%lu\n", PROG, opno, recovered, restarts);
	return 0;
}
