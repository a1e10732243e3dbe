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

void rw_dispatch(const rw_op *ops, size_t n, rw_msg *m, uint64_t badge, void *ctx)
{
	rw_msg req = *m;
	long st = RW_ENOSYS;

	memset(m, 0, sizeof *m);
	if (req.len > RW_IPC_BUF_SIZE) {
		st = RW_EINVAL;
	} else {
		for (size_t i = 0; i < n; i++) {
			if (ops[i].rule.label != req.label)
				continue;
			st = rw_rule_check(&ops[i].rule, &req);
			if (st == 0) {
				rw_request r = { &req, m, badge, ctx };
				st = ops[i].fn(&r);
			}
			break;
		}
	}
	if (st < 0)
		memset(m, 0, sizeof *m); /* errors carry no data */
	m->label = (uint64_t)st;
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

	if (o->check != ops_check(o))
		rw_panic("rw_serve_ops: the dispatch table's context changed (corrupted memory)");
	rw_dispatch(o->ops, o->n, m, badge, o->ctx);
}

/* rw_serve itself runs the loop (the registers it keeps are the ones the
 * kernel checks under txipc and shadow); the table is its context. */
void rw_serve_ops(rw_cap ep, const rw_op *ops, size_t n, void *ctx)
{
	struct ops_ctx o = { ops, n, ctx, 0 };

	o.check = ops_check(&o);
	rw_serve(ep, dispatch_handler, &o);
}
