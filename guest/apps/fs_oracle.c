/*
 * fs_oracle - file system workload that checks every reply against its own
 * model (see fs_check.h), for fault injection into the fs server.
 *
 * The four directories are made first, then 300 random operations (fixed
 * seed), then a full scan.  Requests rolled back by the kernel
 * (RW_ERECOVERED) are retried; a restarted server has lost its state, which
 * the checks report as "FAIL lost state: ...".
 * Ends with "fs_oracle: ok ops=N recovered=R restarts=S" (exit 0) or
 * "fs_oracle: FAIL <reason>" (exit 1).
 */
#include <stdio.h>
#include "fs_check.h"

const char oracle_prog[] = "fs_oracle";

#define NOPS 300

int main(void)
{
	int files = 0;

	rng = 0xBF58476D1CE4E5B9ULL;
	reset_model();
	long r = fs_connect("fs", &srv);
	if (r < 0)
		fail("connect: %s", fs_strerror(r));

	for (int d = 1; d < FIRST_FILE; d++)
		op_make(d);
	for (int n = 0; n < NOPS; n++)
		random_op();
	for (int i = FIRST_FILE; i < NNODES; i++)
		files += model[i].present;
	printf("%s: %d ops done, %d files\n", PROG, NOPS, files);
	full_scan();
	show_hidden();
	printf("%s: ok ops=%lu recovered=%lu restarts=%lu\n", PROG, opno, recovered, restarts);
	return 0;
}
