/*
 * nest_stamp (uses "nest" and "kv") - a nested call built from the clock: one
 * ADD a += 3 in NEST_STAMP mode, which makes nest put "3@<clock ns>" into kv.
 * Prints "nest_stamp: kv nest:a = <value>" and "nest_stamp: ok" (exit 0), or
 * "nest_stamp: FAIL ..." (exit 1).  TxIpcTest strikes nest after its kv call:
 * the request run again must read the clock as its first run did, or it would
 * send kv another put.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/kv.h>
#include <rewind/nest.h>

int main(void)
{
	rw_cap nest, kv;
	char buf[64];
	size_t len = 0;
	int64_t v = 0;
	long r;

	if ((r = rw_cap_get("nest", &nest)) < 0 || (r = kv_connect("kv", &kv)) < 0) {
		printf("nest_stamp: FAIL lookup: %s\n", rw_strerror(r));
		return 1;
	}
	if ((r = nest_add(nest, "a", 3, NEST_STAMP, &v)) != 0 || v != 3) {
		printf("nest_stamp: FAIL add: %ld (%s), value %lld\n", r, rw_strerror(r),
		       (long long)v);
		return 1;
	}
	if ((r = kv_get(kv, NEST_KV_PREFIX "a", buf, sizeof buf - 1, &len)) != 0 ||
	    len >= sizeof buf) {
		printf("nest_stamp: FAIL kv get: %ld (%s)\n", r, rw_strerror(r));
		return 1;
	}
	buf[len] = '\0';
	printf("nest_stamp: kv nest:a = %s\n", buf);
	if (strncmp(buf, "3@", 2) != 0) {
		printf("nest_stamp: FAIL kv value\n");
		return 1;
	}
	printf("nest_stamp: ok\n");
	return 0;
}
