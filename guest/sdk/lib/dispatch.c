/* librewind: table-driven server dispatch (<rewind/proto.h>). */
#include <string.h>
#include <rewind/proto.h>

long rw_rule_check(const rw_rule *rule, const rw_msg *m)
{
	uint64_t len = rule->len_add;

	for (int i = 0; i < 4; i++) {
		const rw_word_rule *w = &rule->w[i];
		uint64_t v = m->w[i];

		switch (w->kind) {
		case RW_WORD_ZERO:
			if (v)
				return RW_EINVAL;
			break;
		case RW_WORD_RANGE:
			if (v < w->lo || v > w->hi)
				return RW_EINVAL;
			break;
		case RW_WORD_MASK:
			if (v & ~w->lo)
				return RW_EINVAL;
			break;
		case RW_WORD_EQ:
			if (v != w->lo)
				return RW_EINVAL;
			break;
		default:
			break;
		}
		len += rule->len_mul[i] * v;
	}
	return m->len == len ? 0 : RW_EINVAL;
}

/* The rule stage of a request: 0 with *op = the op its label names (its rule
 * kept), else RW_EINVAL (too long a buffer, a word or length off the rule) or
 * RW_ENOSYS (no op has the label). */
static long admit(const rw_op *ops, size_t n, const rw_msg *req, const rw_op **op)
{
	*op = NULL;
	if (req->len > RW_IPC_BUF_SIZE)
		return RW_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (ops[i].rule.label == req->label) {
			*op = &ops[i];
			return rw_rule_check(&ops[i].rule, req);
		}
	}
	return RW_ENOSYS;
}

/*
 * Clears the reply (the first n bytes of *m: all of it, sizeof *m) and checks that it is clear:
 * the words and the length a handler does not set must be 0, and an error carries none.  A
 * transient fault in the clearing (its length register changed, a store skipped) left the
 * request's own label, words and length in the reply, a wrong answer without any trap (an
 * outside LRU cache's DEL answered with its last SET's words and a length of 0x18, seeds 1321331
 * and 1321339).  The check reads the reply back through a compiler barrier (the compiler would
 * take the clearing for granted), so a reply not cleared is a failed assertion, which txipc
 * undoes.  Not inlined, and given its length, so that a test can change the length as such a
 * fault does.
 */
void rw__clear_reply(rw_msg *m, size_t n);
__attribute__((noinline)) void rw__clear_reply(rw_msg *m, size_t n)
{
	memset(m, 0, n);
	__asm__ volatile("" : : "r"(m) : "memory");
	if (m->label | m->w[0] | m->w[1] | m->w[2] | m->w[3] | m->len)
		rw_panic("rw_dispatch: the reply was not cleared (a transient fault)");
}

/* rw_dispatch's work.  Returns 1 when the request was refused (no handler ran:
 * the reply's label is admit's answer), else 0.  Not inlined, so that its
 * registers are its own: a confirmation after it reads the table afresh. */
int rw__dispatch(const rw_op *ops, size_t n, rw_msg *m, uint64_t badge, void *ctx);
__attribute__((noinline)) int rw__dispatch(const rw_op *ops, size_t n, rw_msg *m, uint64_t badge,
                                           void *ctx)
{
	rw_msg req = *m;
	const rw_op *op;
	long st = admit(ops, n, &req, &op);
	int refused = st != 0;

	rw__clear_reply(m, sizeof *m);
	if (!refused) {
		rw_request r = { &req, m, badge, ctx };
		st = op->fn(&r);
	}
	if (st < 0)
		rw__clear_reply(m, sizeof *m); /* errors carry no data */
	m->label = (uint64_t)st;
	return refused;
}

/*
 * A refusal (EINVAL or ENOSYS before any handler ran) is confirmed by checking
 * the request again.  Refusals are rare (a client's mistake), so this costs a
 * working server nothing, and a transient fault in the check (a skipped
 * instruction, a flipped register: the table's length read as 0, a word
 * compared with the wrong bound) must not refuse a good request without a
 * trap, as wrong an answer as any other.  Another answer the second time is a
 * fault: under txipc it is undone (the client gets ERECOVERED and sends the
 * request again), a shadowed driver restarts.
 */
static void confirm_refusal(const rw_op *ops, size_t n, const rw_msg *req, long answer)
{
	const rw_op *op;

	if (admit(ops, n, req, &op) != answer)
		rw_panic("rw_dispatch: a request's check gave another answer when run again (a "
		         "transient fault)");
}

void rw_dispatch(const rw_op *ops, size_t n, rw_msg *m, uint64_t badge, void *ctx)
{
	rw_msg req = *m;

	if (rw__dispatch(ops, n, m, badge, ctx))
		confirm_refusal(ops, n, &req, (long)m->label);
}

/*
 * The table and its context live in rw_serve_ops' stack frame for as long as
 * the server serves, in memory every request could write: a fault that does
 * not trap (a store through a wrong pointer) can change them, and the server
 * would answer ENOSYS from then on without ever trapping.  So they carry a
 * check word, verified before each request: a changed context is a failed
 * assertion there, which txipc undoes by replaying the requests since it was
 * intact (and a shadowed driver restarts).
 */
struct ops_ctx {
	const rw_op *ops;
	size_t n;
	void *ctx;
	uint64_t check;
};

static uint64_t ops_check(const struct ops_ctx *o)
{
	return ((uint64_t)(uintptr_t)o->ops * 0x9e3779b97f4a7c15ULL) ^
	       ((uint64_t)o->n * 0xc2b2ae3d27d4eb4fULL) ^ (uint64_t)(uintptr_t)o->ctx ^
	       0x5257736572766521ULL;
}

static void dispatch_handler(rw_msg *m, uint64_t badge, void *ctx)
{
	const struct ops_ctx *o = ctx;

	rw_msg req = *m;

	if (o->check != ops_check(o))
		rw_panic("rw_serve_ops: the dispatch table's context changed (corrupted memory)");
	/* (a refusal is confirmed from the table as the context holds it, not from
	 * the registers rw__dispatch had it in: a register flipped there is caught) */
	if (rw__dispatch(o->ops, o->n, m, badge, o->ctx)) {
		const volatile struct ops_ctx *v = o;
		confirm_refusal(v->ops, v->n, &req, (long)m->label);
	}
}

/* rw_serve itself runs the loop (the registers it keeps are the ones the
 * kernel checks under txipc and shadow); the table is its context. */
void rw_serve_ops(rw_cap ep, const rw_op *ops, size_t n, void *ctx)
{
	struct ops_ctx o = { ops, n, ctx, 0 };

	o.check = ops_check(&o);
	rw_serve(ep, dispatch_handler, &o);
}
