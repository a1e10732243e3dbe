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

/*
 * The request a handler is given is the dispatch's copy, and its op is the one the search of the
 * table stopped at; a transient fault in either admitted the request as another, with no trap:
 * a skipped store of the copy left the previous request's label and words in it (its handler
 * ran again), a skipped label comparison stopped the search at an op of another label whose
 * rule the request happened to keep (an outside broker's STATS answered ENOENT, a FETCH ran
 * another op's handler). So the copy is compared with the request as received, and the op's
 * label with the request's, both read afresh from memory: a difference is a failed assertion,
 * which txipc undoes. About 20 instructions a request.
 */
static void check_admission(const rw_msg *m, rw_msg *req, const rw_op *op)
{
	__asm__ volatile("" : : "r"(req) : "memory"); /* the copy is read back, not assumed */
	const volatile rw_msg *vm = m;
	const volatile rw_msg *vr = req;

	if (vr->label != vm->label || vr->w[0] != vm->w[0] || vr->w[1] != vm->w[1] ||
	    vr->w[2] != vm->w[2] || vr->w[3] != vm->w[3] || vr->len != vm->len)
		rw_panic(
		        "rw_dispatch: the copy of the request differs from it (a transient fault)");
	if (op && ((const volatile rw_op *)op)->rule.label != vm->label)
		rw_panic("rw_dispatch: the request was admitted as another op (a transient fault)");
}

/*
 * The badge a handler is given must be the one its request came with, as the receive kept it in
 * memory (rw__note_request): a flipped register or a skipped move between the receive and the
 * handler (RISC-V a3 at rw_dispatch's entry, seed 1720280; AArch64 a skipped `mov x24, x3` in
 * rw__dispatch, seed 1721107) gave the handler another client's badge and its answer with no
 * trap. A difference is a failed assertion, which txipc undoes. (No request received yet: a
 * program dispatching one of its own making, nothing to compare.)
 */
static void check_badge(uint64_t badge)
{
	__asm__ volatile("" : "+r"(badge) : : "memory");
	volatile struct rw__recv_note *note = rw__recv_note_at();

	if (note->sum && badge != note->badge)
		rw_panic("rw_dispatch: the request's badge is not the one it came with (a "
		         "transient fault)");
}

/*
 * check_badge of the record a handler is given, read back from it, and the request it points to
 * against the sum the receive noted (rw__check_delivered): rw__dispatch keeps the address of its
 * copy of the request in a callee-saved register from the copy to the handler's call, across
 * the admission's checks and rw__clear_reply, and a bit of it flipped there (RISC-V s8 bits 0,
 * 10 and 13: kv seeds 2171768, 2172224, 2173304 of session 55's 10,000 campaign) gave the handler
 * another place on the stack as its request, which both of LIST's scans read alike: a key listed
 * twice, with no trap. A difference is the delivery's abort, which txipc undoes (~50 guest
 * instructions a request; no request received through the SDK: nothing to compare). Not
 * inlined, so that rw__dispatch keeps the registers it had (a skipped restore of one more
 * callee-saved register in its epilogue would be a new way to corrupt its caller).
 */
void rw__check_request_badge(const rw_request *r);
__attribute__((noinline)) void rw__check_request_badge(const rw_request *r)
{
	const volatile rw_request *v = r;

	check_badge(v->badge);
	rw__check_delivered(v->in);
}

/* The stack pointer now (read by an instruction of its own each time: never a copy the compiler
 * kept). */
static inline __attribute__((always_inline)) uintptr_t stack_pointer(void)
{
	uintptr_t sp;
#ifdef __riscv
	__asm__ volatile("mv %0, sp" : "=r"(sp));
#else
	__asm__ volatile("mov %0, sp" : "=r"(sp));
#endif
	return sp;
}

/* The constant k, made by an instruction here: not a register the compiler kept it in across the
 * call (which a return from another site would bring along: RISC-V s2 held both 3 and 4). */
#ifdef __riscv
#define RW__HERE(k)                                                \
	({                                                         \
		unsigned _k;                                       \
		__asm__ volatile("li %0, %1" : "=r"(_k) : "i"(k)); \
		_k;                                                \
	})
#else
#define RW__HERE(k)                                                  \
	({                                                           \
		unsigned _k;                                         \
		__asm__ volatile("mov %w0, %1" : "=r"(_k) : "i"(k)); \
		_k;                                                  \
	})
#endif

/* A call that notes its site (a volatile of the caller's frame) before it and finds it after it:
 * a return to another call site, through a stale return address, finds another site there. */
#define RW__CALLED(site, k)                                                                        \
	do {                                                                                       \
		if ((site) != RW__HERE(k))                                                         \
			rw_panic("rw_dispatch: a call returned to another call site (a transient " \
			         "fault)");                                                        \
	} while (0)
#define RW__CALL(site, k, call)      \
	do {                         \
		(site) = (k);        \
		call;                \
		RW__CALLED(site, k); \
	} while (0)

/* What rw__dispatch leaves in *done with the label it answered and the reply it answered into
 * (RW__DONE ^ label ^ the reply's address). */
#define RW__DONE 0x446f6e6544697370ULL

/* rw_dispatch's work.  Returns 1 when the request was refused (no handler ran:
 * the reply's label is admit's answer), else 0, and leaves RW__DONE ^ the label in
 * *done as its last step (dispatched, below).  Not inlined, so that its
 * registers are its own: a confirmation after it reads the table afresh. */
int rw__dispatch(const rw_op *ops, size_t n, rw_msg *m, uint64_t badge, void *ctx, uint64_t *done);
__attribute__((noinline)) int rw__dispatch(const rw_op *ops, size_t n, rw_msg *m, uint64_t badge,
                                           void *ctx, uint64_t *done)
{
	rw_msg req = *m;
	const rw_op *op;
	long st = admit(ops, n, &req, &op);
	/*
	 * The status is kept in memory as well, and the label sent is compared with that copy at
	 * the end: the register that holds it lives across calls (an error's second clearing, a
	 * memset), where a transient fault changed it with no trap. On RISC-V -O2, s1 set to 0
	 * inside the error's rw__clear_reply sent an ENOENT as a success with cleared words (an
	 * outside LRU cache's GET of a key not there answered "found, value 0, version 0": seed
	 * 1781044, session 50, helper V), and every later check compared the label with the same
	 * changed register.
	 */
	volatile long kept = st;
	int refused = st != 0;
	int ran = 0;
	/*
	 * Each call made here notes its site first and finds it again once back (RW__CALLED): a
	 * callee that skipped the save of its return address (`sd ra`, `stp x29, x30`) returns
	 * through the address a callee called before it left in the same stack slot, to another
	 * call site of this function: the first rw__clear_reply returned past the error's second
	 * one, and kv's GET of a key it holds answered "found, length 0" with no trap (a skip
	 * sweep of kv, session 56). There the site noted is not the site's own.
	 */
	volatile unsigned site = 1;

	check_admission(m, &req, op);

	RW__CALL(site, 2, rw__clear_reply(m, sizeof *m));
	if (!refused) {
		rw_request r = { &req, m, badge, ctx };
		RW__CALL(site, 3, rw__check_request_badge(&r));
		/*
		 * The op whose handler runs is the one the request was admitted as, read afresh
		 * after the last call before the handler's: a callee whose prologue skipped the
		 * save of a callee-saved register (rw__clear_reply's RISC-V `sd s0`, AArch64
		 * `str x19`) gave back a stale value in the register that holds op, the previous
		 * request's op, whose handler then ran on this request with no trap (an outside
		 * text index's QNEXT answered as another op, seed 1921083; session 52, helper X).
		 */
		__asm__ volatile("" : "+r"(op) : : "memory");
		if (((const volatile rw_op *)op)->rule.label !=
		    ((const volatile rw_msg *)&req)->label)
			rw_panic("rw_dispatch: the op whose handler runs is not the request's (a "
			         "transient fault)");
		/*
		 * The handler's answer goes from its return register into the reply and is read
		 * back from there, and the two copies are compared: a skipped move of the return
		 * register (RISC-V `mv s1,a0`, AArch64 `mov x19,x0`) kept the admission's 0, and an
		 * ENOENT left as a success with no trap; with two copies made apart, a skipped
		 * store or load leaves them different, a failed assertion.
		 */
		uintptr_t sp = stack_pointer();
		site = 4;
		long ret = op->fn(&r);

		/*
		 * The handler returns with the stack pointer it was called with: a skipped `add
		 * sp,sp,N` in a callee's epilogue (fs's get_handle under CLOSE) left the handler's
		 * frame N bytes low, its saved registers and return address read from the callee's
		 * slots, and a skipped save of the return address (fs's do_close, `sd ra`) returned
		 * through a stale one into another function's epilogue: both answered EBADF to a good
		 * CLOSE with no trap (skip sweeps of fs, session 56). Where the way back reaches here,
		 * the stack pointer differs.
		 */
		if (stack_pointer() != sp)
			rw_panic("rw_dispatch: the handler returned with another stack pointer (a "
			         "transient fault)");
		RW__CALLED(site, 4);
		/* (the reply the handler was given is this one: see *done below) */
		if (((const volatile rw_request *)&r)->out != m)
			rw_panic("rw_dispatch: the handler was given another reply (a transient "
			         "fault)");
		m->label = (uint64_t)ret;
		__asm__ volatile("" : "+r"(ret) : : "memory");
		st = (long)((const volatile rw_msg *)m)->label;
		if (st != ret)
			rw_panic("rw_dispatch: the handler's answer was not taken (a transient "
			         "fault)");
		kept = ret;
		ran = 1;
	}
	/*
	 * The admission's status and the decision taken from it sit in two registers (the
	 * compiler branches on one and returns the other): a transient fault in the status
	 * between the two (bit 29 of RISC-V s2 across rw__clear_reply, an outside broker's
	 * seed 1391064) skipped the handler of a good request and sent the flipped status as
	 * the reply's label, no trap. What ran must agree with the decision, and a request
	 * no handler ran was refused with EINVAL or ENOSYS: anything else is a failed
	 * assertion (txipc undoes it). The barrier keeps the compiler from deriving one from
	 * the other.
	 */
	__asm__ volatile("" : "+r"(st), "+r"(refused), "+r"(ran));
	if (ran == refused || (!ran && st != RW_EINVAL && st != RW_ENOSYS))
		rw_panic("rw_dispatch: the handler ran against the request's check (a transient "
		         "fault)");
	if (st < 0) {
		/* errors carry no data; a skipped branch that led a success here would clear its
		 * words, so the status is read again past the branch */
		__asm__ volatile("" : "+r"(st));
		if (st >= 0)
			rw_panic("rw_dispatch: a success's reply cleared as an error's (a "
			         "transient fault)");
		RW__CALL(site, 5, rw__clear_reply(m, sizeof *m));
	}
	m->label = (uint64_t)st;
	/*
	 * The label is read back: a skipped store of it (an error sent as a success), a skipped
	 * call of the handler (a pointer left in the status register) or a skipped load of the
	 * constant a success stores (another value in that register) sent a label the op never
	 * answers, with no trap.
	 */
	__asm__ volatile("" : "+r"(st) : : "memory");
	uint64_t label = ((const volatile rw_msg *)m)->label;
	if (label != (uint64_t)st || label != (uint64_t)kept ||
	    (ran && ((long)label > 0 || (long)label < RW_STATUS_MIN) &&
	     (((const volatile rw_op *)op)->rule.flags & RW_RULE_NO_POSITIVE)))
		rw_panic("rw_dispatch: the reply's label is not the op's answer (a transient "
		         "fault)");
	/*
	 * The reply's address is in the word too: the register that holds it lives across calls,
	 * and a flip of it inside rw__clear_reply (RISC-V s2 bit 7, kv seed 2030312, session 53)
	 * sent the handler's words and every later store and check to another place,
	 * consistently, while the reply the caller sends stayed cleared: COUNT answered 0 as a
	 * success. The caller recomputes the word with its own pointer.
	 */
	*done = RW__DONE ^ (uint64_t)st ^ (uint64_t)(uintptr_t)m;
	return refused;
}

/*
 * A skipped jump can leave rw__dispatch by another block's way out, past the store of the
 * label and its checks: on RISC-V -O2 a skipped `j` after the handler's call fell into a
 * branch that returned at once, so an ENOENT left as the cleared reply's 0, a success, with
 * no trap (an outside broker's seed 1408099).  So rw__dispatch's last step leaves a word
 * made from the status it answered, which its caller (whose *done starts at 0) compares with
 * the label in the reply: a way out that skipped the end leaves 0 there, a failed assertion
 * that txipc undoes.
 */
static void dispatched(const rw_msg *m, const uint64_t *done)
{
	__asm__ volatile("" : : "r"(done) : "memory");
	if (*(const volatile uint64_t *)done !=
	    (RW__DONE ^ ((const volatile rw_msg *)m)->label ^ (uint64_t)(uintptr_t)m))
		rw_panic("rw_dispatch: the dispatch ended without its answer, or answered into "
		         "another reply (a transient fault)");
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

/*
 * The reply checks of the protocols a program includes (rw_reply_check_register, from each
 * generated header's constructor), by magic.  A success sent for a request of one of them must
 * be a reply its definition allows (<rewind/proto.h>): a transient fault in a handler's last
 * steps sent one its client's stub rejects as malformed, with no trap (an outside LRU cache's
 * SCAN: a register holding the entry count changed after the length was made from it, or the
 * "more" word wild; AArch64 seeds 1788164, 1788205, RISC-V 1793196, 1793252; session 50,
 * helper V), and the client's good request failed with RW_EINVAL.
 */
#define RW__REPLY_CHECKS 16
static struct {
	uint64_t magic;
	rw_reply_check_fn fn;
} reply_checks[RW__REPLY_CHECKS];

void rw_reply_check_register(uint64_t magic, rw_reply_check_fn fn)
{
	for (int i = 0; i < RW__REPLY_CHECKS; i++) {
		if (reply_checks[i].fn == NULL || reply_checks[i].magic == magic) {
			reply_checks[i].magic = magic;
			reply_checks[i].fn = fn;
			return;
		}
	}
}

static void check_reply(const rw_msg *req, const rw_msg *m)
{
	if (m->label != 0)
		return;
	for (int i = 0; i < RW__REPLY_CHECKS && reply_checks[i].fn; i++) {
		if (reply_checks[i].magic == req->label >> 16) {
			if (!reply_checks[i].fn(req, m))
				rw_panic("rw_dispatch: the reply breaks its op's definition (a "
				         "transient "
				         "fault)");
			return;
		}
	}
}

void rw_dispatch(const rw_op *ops, size_t n, rw_msg *m, uint64_t badge, void *ctx)
{
	rw__check_delivered(m);
	rw_msg req = *m;

	check_badge(badge);
	uint64_t done = 0;
	int refused = rw__dispatch(ops, n, m, badge, ctx, &done);

	dispatched(m, &done);
	if (refused)
		confirm_refusal(ops, n, &req, (long)m->label);
	else
		check_reply(&req, m);
	/* (the request is dispatched: a message the program makes itself and dispatches before its
	 * next receive, an event after a WAIT_ANY wake, say, is not compared with it) */
	rw__recv_note_at()->sum = 0;
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
	uint64_t done = 0;
	int refused = rw__dispatch(o->ops, o->n, m, badge, o->ctx, &done);

	dispatched(m, &done);
	if (refused) {
		const volatile struct ops_ctx *v = o;
		confirm_refusal(v->ops, v->n, &req, (long)m->label);
	} else {
		check_reply(&req, m);
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
