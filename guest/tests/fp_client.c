/* fp_client (uses "fp"): adds to fp_server's floating-point sum, makes one request fault after
 * the server changed it (rolled back by txipc: ERECOVERED), and checks the sum is as before.
 * Prints "fp_tx: all ok" and exits 0 on success. */
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <rewind/rewind.h>

static rw_cap ep;

static long call(uint64_t label, uint64_t w0, uint64_t w1, rw_msg *out)
{
	rw_msg m = { label, { w0, w1, 0, 0 }, 0 };
	long r = rw_call(ep, &m);

	*out = m;
	return r;
}

static int expect_sum(double want, const char *when)
{
	rw_msg m;
	long r = call(2, 0, 0, &m);
	double got;

	if (r != 0) {
		printf("fp_tx: query %s failed: %s\n", when, rw_strerror(r));
		return 0;
	}
	memcpy(&got, &m.w[0], sizeof got);
	if (got != want) {
		printf("fp_tx: sum %s is %d/8, expected %d/8\n", when, (int)(got * 8),
		       (int)(want * 8));
		return 0;
	}
	return 1;
}

int main(void)
{
	rw_msg m;

	if (rw_cap_get("fp", &ep) < 0) {
		printf("fp_tx: missing capability\n");
		return 1;
	}
	for (int i = 1; i <= 4; i++) {
		if (call(1, (uint64_t)i, 0, &m) != 0) {
			printf("fp_tx: add %d failed\n", i);
			return 1;
		}
	}
	if (!expect_sum(10.0, "after four adds"))
		return 1;
	for (int round = 0; round < 3; round++) {
		long r = call(1, 1000, 1, &m); /* the server adds 1000, then faults */
		if (r != RW_ERECOVERED) {
			printf("fp_tx: the faulting request answered %s, not ERECOVERED\n",
			       rw_strerror(r));
			return 1;
		}
		if (!expect_sum(10.0 + round, "after a rolled-back request"))
			return 1;
		call(1, 1, 0, &m);
	}
	if (!expect_sum(13.0, "at the end"))
		return 1;
	printf("fp_tx: all ok\n");
	return 0;
}
