/*
 * vput_server (serves "vput", uses "kv") - a caller that checks its callee's
 * answers.  PUT (label 1, w0 = n) puts key "v<n>" = "value-<n>" into kv, gets
 * it back in the same request and asserts that kv answered what was put; it
 * answers w0 = the value's length.  If kv's state changed behind its back
 * between the two calls (a bit flipped in memory, TxIpcCalleeTest), kv
 * answers the GET wrongly without trapping, and the assertion fails in every
 * run again of the request, which is given the same recorded answers: only
 * kv's check of its own answers (a replay of its history) can mend it.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/kv.h>
#include <rewind/proto.h>

static rw_cap kv;

static long do_put(const rw_request *r);

static const rw_op ops[] = {
	{ { 1, { RW_W_ANY, RW_W_ZERO, RW_W_ZERO, RW_W_ZERO }, { 0, 0, 0, 0 }, 0, 0 }, do_put },
};

static long do_put(const rw_request *r)
{
	char key[24], val[32], got[32];
	size_t len = 0;
	long st;

	snprintf(key, sizeof key, "v%llu", (unsigned long long)r->in->w[0]);
	snprintf(val, sizeof val, "value-%llu", (unsigned long long)r->in->w[0]);
	if ((st = kv_put(kv, key, val, strlen(val))) < 0)
		return st;
	if ((st = kv_get(kv, key, got, sizeof got, &len)) < 0)
		return st;
	RW_ASSERT(len == strlen(val) && memcmp(got, val, len) == 0);
	r->out->w[0] = len;
	return 0;
}

int main(void)
{
	rw_cap ep;
	long e = rw_cap_get("vput", &ep);
	long k = kv_connect("kv", &kv);

	if (e < 0 || k < 0) {
		printf("vput_server: missing capability (vput: %s, kv: %s)\n", rw_strerror(e),
		       rw_strerror(k));
		return 1;
	}
	printf("vput_server: ready\n");
	rw_serve_ops(ep, ops, RW_NOPS(ops), NULL);
}
