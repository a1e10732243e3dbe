/*
 * sctx_server (serves "sctx") - a stray store into rw_serve_ops' dispatch
 * context: PING (label 1) answers 42; STRAY (label 2) finds the context in
 * its own stack (the table's address, then its length) and zeroes the length,
 * as a store through a wrong pointer would, and answers 0.  Every request after
 * that would be answered ENOSYS without a trap; librewind checks the context
 * before each request, so the next one is a failed assertion instead
 * (TxIpcTest).
 */
#include <stdio.h>
#include <rewind/proto.h>

static long do_ping(const rw_request *r);
static long do_stray(const rw_request *r);

#define ANY4                                           \
	{                                              \
		RW_W_ANY, RW_W_ANY, RW_W_ANY, RW_W_ANY \
	}

static const rw_op ops[] = {
	{ { 1, ANY4, { 0, 0, 0, 0 }, 0, 0 }, do_ping },
	{ { 2, ANY4, { 0, 0, 0, 0 }, 0, 0 }, do_stray },
};

static long do_ping(const rw_request *r)
{
	r->out->w[0] = 42;
	return 0;
}

static long do_stray(const rw_request *r)
{
	/* the callers' frames are above this one: rw_dispatch, the handler, rw_serve, rw_serve_ops */
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)__builtin_frame_address(0);

	(void)r;

	for (int i = 0; i < 2048; i++) {
		if (p[i] == (uint64_t)(uintptr_t)ops && p[i + 1] == RW_NOPS(ops)) {
			p[i + 1] = 0;
			return 0;
		}
	}
	return RW_ENOENT;
}

int main(void)
{
	rw_cap ep;
	long e = rw_cap_get("sctx", &ep);

	if (e < 0) {
		printf("sctx_server: no endpoint: %s\n", rw_strerror(e));
		return 1;
	}
	printf("sctx_server: ready\n");
	rw_serve_ops(ep, ops, RW_NOPS(ops), NULL);
}
