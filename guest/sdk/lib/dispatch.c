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

struct ops_ctx {
	const rw_op *ops;
	size_t n;
	void *ctx;
};

static void dispatch_handler(rw_msg *m, uint64_t badge, void *ctx)
{
	const struct ops_ctx *o = ctx;

	rw_dispatch(o->ops, o->n, m, badge, o->ctx);
}

/* rw_serve itself runs the loop (the registers it keeps are the ones the
 * kernel checks under txipc and shadow); the table is its context. */
void rw_serve_ops(rw_cap ep, const rw_op *ops, size_t n, void *ctx)
{
	struct ops_ctx o = { ops, n, ctx };

	rw_serve(ep, dispatch_handler, &o);
}
