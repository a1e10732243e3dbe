/*
 * kv_faults - deterministic recovery test of the kv server: a model-checked
 * workload (kv_check.h) with a "dirty" debug fault of each kind 1..6 in
 * between (the server first stores "__debug_marker" and overwrites a value,
 * then faults).
 *
 *   txipc:   every debug call returns RW_ERECOVERED ("kind K -> ERECOVERED"),
 *            the partial changes are rolled back and every scan passes:
 *            "kv_faults: ok ops=N recovered=6 restarts=0".
 *   restart: every debug call returns RW_EDEAD; the program refreshes the
 *            capability, scans (and finds the lost state), resets its model
 *            and goes on: "kv_faults: FAIL lost state: ..." (exit 1).
 *   none:    "kv_faults: FAIL server dead ..." (exit 1).
 */
#include <stdio.h>
#include "kv_check.h"
#include "../servers/debug_fault.h"

const char oracle_prog[] = "kv_faults";

#define OPS_BETWEEN 15

int main(void)
{
	char why[32];

	rng = 0xD1B54A32D192ED03ULL;
	lenient = 1;
	long r = kv_connect("kv", &srv);
	if (r < 0)
		fail("connect: %s", rw_strerror(r));

	for (int i = 0; i < 10; i++) {
		op_put(i);
		settle();
	}
	for (int kind = 1; kind <= 6; kind++) {
		for (int n = 0; n < OPS_BETWEEN; n++) {
			random_op();
			settle();
		}
		op_put((int)(next_rand() % NK)); /* never fault on an empty store */
		settle();

		begin("debug fault %d", kind);
		long r = kv_debug_fault_dirty(srv, kind);
		if (r == RW_ERECOVERED) {
			recovered++;
			printf("%s: kind %d -> ERECOVERED\n", PROG, kind);
			full_scan(); /* the marker and the overwrite are gone */
			settle();
		} else if (r == RW_EDEAD) {
			snprintf(why, sizeof why, "kind %d", kind);
			on_dead(why);
			need_resync = 1;
			settle();
		} else {
			fail("kind %d: debug fault returned %ld (%s)", kind, r, rw_strerror(r));
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
