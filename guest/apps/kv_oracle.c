/*
 * kv_oracle - key-value workload that checks every reply against its own
 * model (see kv_check.h), for fault injection into the kv server.
 *
 * 300 random operations (put / get / del / count / list over keys k0..k63,
 * fixed seed), then a full scan.  Requests rolled back by the kernel
 * (RW_ERECOVERED) are retried; a restarted server has lost its state, which
 * the checks report as "FAIL lost state: ...".
 * Ends with "kv_oracle: ok ops=N recovered=R restarts=S" (exit 0) or
 * "kv_oracle: FAIL <reason>" (exit 1).
 */
#include <stdio.h>
#include "kv_check.h"

const char oracle_prog[] = "kv_oracle";

#define NOPS 300

int main(void)
{
	rng = 0x9E3779B97F4A7C15ULL;
	long r = kv_connect("kv", &srv);
	if (r < 0)
		fail("connect: %s", rw_strerror(r));

	for (int n = 0; n < NOPS; n++)
		random_op();
	printf("%s: %d ops done, %d keys\n", PROG, NOPS, model_count());
	full_scan();
	show_hidden();
	printf("%s: ok ops=%lu recovered=%lu restarts=%lu\n", PROG, opno, recovered, restarts);
	return 0;
}
