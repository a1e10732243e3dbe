/*
 * proto.h - protocols defined once (guest/abi/NAME.proto): the request rules the
 * generated headers (<rewind/kv_proto.h>, ...) fill in, and the table-driven
 * server dispatch of librewind.
 *
 * A server lists one rw_op per request it handles: the generated rule (label,
 * what each word may hold, how long the buffer must be) and its handler:
 *
 *	static long do_put(const rw_request *r) { ... r->in->w[0] ... r->out->w[0] = 1; return 0; }
 *	...
 *	static const rw_op ops[] = { KV_OPS(do_) };	// do_put, do_get, ... one per operation
 *	rw_serve_ops(ep, ops, RW_NOPS(ops), NULL);
 *
 * For every request rw_dispatch answers RW_EINVAL when the buffer length
 * exceeds the IPC buffer, RW_ENOSYS when no op has its label, and RW_EINVAL
 * when a word or the length breaks the op's rule; only then does it call the
 * handler.  The handler's return value is the reply label (>= 0 success,
 * < 0 error); an error reply carries no words and no data.  Such a refusal
 * (no handler ran) is checked once more before it leaves (rw_serve_ops: from
 * the table as its context holds it): a check that answers otherwise the second
 * time was struck by a transient fault, and is a failed assertion (txipc undoes
 * the request: the client gets ERECOVERED) rather than a wrong refusal.
 */
#ifndef REWIND_PROTO_H
#define REWIND_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <rewind/rewind.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What one request word may hold. */
enum {
	RW_WORD_ANY,   /* anything */
	RW_WORD_ZERO,  /* unused: must be 0 */
	RW_WORD_RANGE, /* lo <= w <= hi (unsigned) */
	RW_WORD_MASK,  /* only bits of lo may be set */
	RW_WORD_EQ,    /* w == lo */
};

typedef struct rw_word_rule {
	uint8_t kind; /* RW_WORD_* */
	uint64_t lo, hi;
} rw_word_rule;

#define RW_W_ANY                  \
	{                         \
		RW_WORD_ANY, 0, 0 \
	}
#define RW_W_ZERO                  \
	{                          \
		RW_WORD_ZERO, 0, 0 \
	}
#define RW_W_RANGE(lo, hi)                \
	{                                 \
		RW_WORD_RANGE, (lo), (hi) \
	}
#define RW_W_MASK(m)                 \
	{                            \
		RW_WORD_MASK, (m), 0 \
	}
#define RW_W_EQ(v)                 \
	{                          \
		RW_WORD_EQ, (v), 0 \
	}

/* rw_rule.flags: the op answers 0 (success) or an error from -1 down to RW_STATUS_MIN, never a
 * positive status; any other return of its handler is then taken for a transient fault (a
 * skipped call of the handler, its status register corrupted after it returned: a high bit of
 * an error flipped), a failed assertion that txipc undoes, not sent as the label. Every rule
 * generated from a protocol definition sets it (no definition has a positive status: the client
 * stubs would take it for a success; their errors are small). */
#define RW_RULE_NO_POSITIVE 1u
#define RW_STATUS_MIN       (-65535L)

/* The shape of one request: its label, its words, and its buffer length,
 * which must equal len_mul[0] * w0 + ... + len_mul[3] * w3 + len_add; flags
 * RW_RULE_* (0 in a hand-written rule that leaves them out). */
typedef struct rw_rule {
	uint64_t label;
	rw_word_rule w[4];
	uint32_t len_mul[4];
	uint32_t len_add;
	uint32_t flags;
} rw_rule;

/* One request as a handler sees it: the request (data at the start of
 * rw_ipc_buf()), the reply to fill in (words and len; zeroed, the label is
 * the handler's return value), the client's badge and the server's context. */
typedef struct rw_request {
	const rw_msg *in;
	rw_msg *out;
	uint64_t badge;
	void *ctx;
} rw_request;

typedef long (*rw_op_fn)(const rw_request *r);

typedef struct rw_op {
	rw_rule rule;
	rw_op_fn fn;
} rw_op;

/* An op from a generated rule: RW_OP(KV_PUT, do_put) uses KV_PUT_RULE. */
#define RW_OP(label, fn)           \
	{                          \
		label##_RULE, (fn) \
	}
#define RW_NOPS(ops) (sizeof(ops) / sizeof(ops)[0])

/* 0 if *m keeps the rule, else RW_EINVAL. */
long rw_rule_check(const rw_rule *rule, const rw_msg *m);

/* Handles one request *m (an rw_handler's job): finds its op, checks the
 * rule, runs the handler and leaves the reply in *m. */
void rw_dispatch(const rw_op *ops, size_t n, rw_msg *m, uint64_t badge, void *ctx);

/*
 * A protocol's reply check: 1 if *rep, a success (label 0), is a well-formed reply to *req,
 * one of the protocol's requests (its reply words in their ranges, echoed words equal, its
 * buffer length as the definition says), else 0.  Each generated NAME_proto.h defines one
 * (NAME_reply_ok) and registers it at start-up; rw_dispatch then checks every success it
 * sends for a request of that protocol, and a reply the client's stub would reject as
 * malformed (RW_EINVAL) is a failed assertion instead, which txipc undoes: a transient
 * fault in the handler's last steps (a register holding a reply word or the count that made
 * the length) sent such a reply with no trap, and the client's good request failed.
 */
typedef int (*rw_reply_check_fn)(const rw_msg *req, const rw_msg *rep);
void rw_reply_check_register(uint64_t magic, rw_reply_check_fn fn);

/* rw_serve with rw_dispatch over ops[0..n-1] as the handler.  Never returns. */
__attribute__((noreturn)) void rw_serve_ops(rw_cap ep, const rw_op *ops, size_t n, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* REWIND_PROTO_H */
