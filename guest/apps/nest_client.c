/*
 * nest_client (uses "nest" and "kv") - recovery across a nested call:
 * client -> nest -> kv, with nest or kv faulting (see <rewind/nest.h>).
 *
 *   step 1: ADD a += 5                    -> ok, GET a = 5, kv nest:a = "5"
 *   step 2: ADD a += 1, nest faults before the kv call
 *                                         -> ERECOVERED, GET a = 5, kv "5"
 *   step 3: ADD a += 2, nest faults after the kv put (in every run)
 *                                         -> EINDOUBT (the kernel ran it
 *           again, its kv call answered as before, and it faulted again),
 *           GET a = 5; prints "nest_client: after caller fault kv nest:a =
 *           <v>" (kv committed its part: no cross-server atomicity, so "7"
 *           under txipc)
 *   step 4: ADD a += 3, kv faults (dirty) during the nested call
 *                                         -> ERECOVERED (nest undid its
 *           change), GET a = 5, kv nest:a unchanged, no "__debug_marker",
 *           one key in kv
 *   step 5: ADD a += 10                   -> ok, GET a = 15, kv "15"
 * Prints "nest_client: step N ok" per step and "nest_client: ok" (exit 0),
 * or "nest_client: FAIL ..." (exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/kv.h>
#include <rewind/nest.h>

static rw_cap nest, kv;

static void fail(int step, const char *what, long r)
{
	printf("nest_client: FAIL step %d: %s: %ld (%s)\n", step, what, r, rw_strerror(r));
	exit(1);
}

/* ADD a += delta in fault mode `mode`; the call must return `want`. */
static void add(int step, int64_t delta, int mode, long want, int64_t want_value)
{
	int64_t v = 0;
	long r = nest_add(nest, "a", delta, mode, &v);

	if (r != want)
		fail(step, "add returned", r);
	if (want == 0 && v != want_value)
		fail(step, "add: new value", (long)v);
}

static void expect_get(int step, int64_t want)
{
	int64_t v = 0;
	long r = nest_get(nest, "a", &v);

	if (r != 0)
		fail(step, "get a", r);
	if (v != want)
		fail(step, "get a: value", (long)v);
}

/* Reads kv "nest:a" into buf (NUL-terminated). */
static void kv_value(int step, char *buf, size_t cap)
{
	size_t len = 0;
	long r = kv_get(kv, NEST_KV_PREFIX "a", buf, cap - 1, &len);

	if (r != 0)
		fail(step, "kv get nest:a", r);
	if (len >= cap)
		fail(step, "kv nest:a too long", (long)len);
	buf[len] = '\0';
}

static void expect_kv(int step, const char *want)
{
	char buf[32];

	kv_value(step, buf, sizeof buf);
	if (strcmp(buf, want) != 0) {
		printf("nest_client: FAIL step %d: kv nest:a = \"%s\", expected \"%s\"\n", step,
		       buf, want);
		exit(1);
	}
}

int main(void)
{
	char after[32];
	long r;

	long n = rw_cap_get("nest", &nest), k = kv_connect("kv", &kv);
	if (n < 0)
		fail(0, "lookup nest", n);
	if (k < 0)
		fail(0, "lookup kv", k);

	add(1, 5, NEST_FAULT_NONE, 0, 5);
	expect_get(1, 5);
	expect_kv(1, "5");
	printf("nest_client: step 1 ok\n");

	add(2, 1, NEST_FAULT_BEFORE, RW_ERECOVERED, 0);
	expect_get(2, 5);
	expect_kv(2, "5");
	printf("nest_client: step 2 ok\n");

	add(3, 2, NEST_FAULT_AFTER, RW_EINDOUBT, 0);
	expect_get(3, 5);
	kv_value(3, after, sizeof after);
	printf("nest_client: after caller fault kv nest:a = %s\n", after);
	printf("nest_client: step 3 ok\n");

	add(4, 3, NEST_FAULT_KV, RW_ERECOVERED, 0);
	expect_get(4, 5);
	expect_kv(4, after);
	if ((r = kv_get(kv, "__debug_marker", NULL, 0, NULL)) != RW_ENOENT)
		fail(4, "kv __debug_marker present", r);
	if ((r = kv_count(kv)) != 1)
		fail(4, "kv count", r);
	printf("nest_client: step 4 ok\n");

	add(5, 10, NEST_FAULT_NONE, 0, 15);
	expect_get(5, 15);
	expect_kv(5, "15");
	printf("nest_client: step 5 ok\n");

	printf("nest_client: ok\n");
	return 0;
}
