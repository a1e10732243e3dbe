/*
 * admit_server (serves "admit") - a register of one value behind rw_serve_ops: SET (label 1,
 * w0 = the value) keeps it and answers 1, GET (label 2) answers it in w0, DEL (label 3)
 * answers ENOENT. Its requests differ
 * in their labels and words but have the same length, so a request admitted as another (a
 * label compared wrongly, a copy of the request left with the previous one's words) runs the
 * wrong handler with no trap: TxIpcTest skips each instruction of the dispatch in turn.
 */
#include <stdio.h>
#include <rewind/proto.h>

static uint64_t value;

static long do_set(const rw_request *r)
{
	value = r->in->w[0];
	r->out->w[0] = 1;
	return 0;
}

static long do_get(const rw_request *r)
{
	r->out->w[0] = value;
	return 0;
}

static long do_del(const rw_request *r)
{
	(void)r;
	return RW_ENOENT;
}

#define RULE(label, w0)                                                            \
	{                                                                          \
		label, { w0, RW_W_ZERO, RW_W_ZERO, RW_W_ZERO }, { 0, 0, 0, 0 }, 0, \
		        RW_RULE_NO_POSITIVE                                        \
	}

static const rw_op ops[] = {
	{ RULE(3, RW_W_ZERO), do_del },
	{ { 1,
	    { RW_W_ANY, RW_W_ZERO, RW_W_ZERO, RW_W_ZERO },
	    { 0, 0, 0, 0 },
	    0,
	    RW_RULE_NO_POSITIVE },
	  do_set },
	{ { 2,
	    { RW_W_ZERO, RW_W_ZERO, RW_W_ZERO, RW_W_ZERO },
	    { 0, 0, 0, 0 },
	    0,
	    RW_RULE_NO_POSITIVE },
	  do_get },
};

int main(void)
{
	rw_cap ep;
	long e = rw_cap_get("admit", &ep);

	if (e < 0) {
		printf("admit_server: no endpoint: %s\n", rw_strerror(e));
		return 1;
	}
	rw_serve_ops(ep, ops, RW_NOPS(ops), NULL);
}
