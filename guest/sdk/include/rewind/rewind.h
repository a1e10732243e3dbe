/*
 * rewind.h - system call interface of a Rewind guest task.
 *
 * Register convention (see guest/abi/abi.def, the source of truth):
 *   a7 = syscall number, a0..a6 = arguments, `ecall`.
 *   On return a0 = status / result (negative = RW_E* error), further results
 *   in a1..a7.  The kernel may overwrite any of a0..a7, so every stub below
 *   declares all eight as outputs, plus a "memory" clobber.
 * On AArch64 the same eight slots are x0..x6 and x8 (the number) in,
 * x0..x7 out, and the trap is `svc #0` (guest/sdk/README.md, "ABI summary");
 * rw_regs names the slots a0..a7 on both.
 *
 * IPC message: label (a1), four 64-bit words (a2..a5) and a6 = number of
 * bytes of buffer data.  The data lives at offset 0 of the task's IPC buffer
 * (one page at RW_IPC_BUF_ADDR): write it there before rw_call/rw_reply; the
 * kernel copies it to offset 0 of the receiver's IPC buffer.
 *
 * Convention: kernel errors come back as the return value (a0); the
 * application status of a request travels in the reply label (0 = success,
 * negative = RW_E*-style or service-specific error).
 */
#ifndef REWIND_REWIND_H
#define REWIND_REWIND_H

#include <stddef.h>
#include <stdint.h>
#include <rewind/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Raw system call                                                        */
/* ---------------------------------------------------------------------- */

/* All argument / result registers of one system call. */
typedef struct rw_regs {
	long a0, a1, a2, a3, a4, a5, a6, a7;
} rw_regs;

/* Performs `ecall` (AArch64: `svc #0`) with a0..a7 from *r and stores a0..a7 back into *r. */
static inline __attribute__((always_inline)) void rw_ecall(rw_regs *r)
{
#if defined(__aarch64__)
	register long a0 __asm__("x0") = r->a0;
	register long a1 __asm__("x1") = r->a1;
	register long a2 __asm__("x2") = r->a2;
	register long a3 __asm__("x3") = r->a3;
	register long a4 __asm__("x4") = r->a4;
	register long a5 __asm__("x5") = r->a5;
	register long a6 __asm__("x6") = r->a6;
	register long a7 __asm__("x7");
	register long nr __asm__("x8") = r->a7;
	__asm__ __volatile__("svc #0"
	                     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6),
	                       "=r"(a7)
	                     : "r"(nr)
	                     : "memory");
#else
	register long a0 __asm__("a0") = r->a0;
	register long a1 __asm__("a1") = r->a1;
	register long a2 __asm__("a2") = r->a2;
	register long a3 __asm__("a3") = r->a3;
	register long a4 __asm__("a4") = r->a4;
	register long a5 __asm__("a5") = r->a5;
	register long a6 __asm__("a6") = r->a6;
	register long a7 __asm__("a7") = r->a7;
	__asm__ __volatile__("ecall"
	                     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6),
	                       "+r"(a7)
	                     :
	                     : "memory");
#endif
	r->a0 = a0;
	r->a1 = a1;
	r->a2 = a2;
	r->a3 = a3;
	r->a4 = a4;
	r->a5 = a5;
	r->a6 = a6;
	r->a7 = a7;
}

/* System call with up to two arguments; returns a0, stores a1 in *out1. */
static inline __attribute__((always_inline)) long rw__sys2(long nr, long x0, long x1, long *out1)
{
	rw_regs r = { x0, x1, 0, 0, 0, 0, 0, nr };
	rw_ecall(&r);
	if (out1)
		*out1 = r.a1;
	return r.a0;
}

/* ---------------------------------------------------------------------- */
/* Task, console, memory, clock                                           */
/* ---------------------------------------------------------------------- */

/* Ends the task with the given exit code (does not flush stdio; use exit()). */
static inline __attribute__((noreturn)) void rw_exit(int code)
{
	for (;;)
		rw__sys2(SYS_EXIT, code, 0, 0);
}

/* Gives up the rest of the time slice. Returns 0. */
static inline long rw_yield(void)
{
	return rw__sys2(SYS_YIELD, 0, 0, 0);
}

/* Writes len bytes to the console (unbuffered). Returns bytes written or RW_E*. */
static inline long rw_console_write(const void *buf, size_t len)
{
	return rw__sys2(SYS_CONSOLE_WRITE, (long)(uintptr_t)buf, (long)len, 0);
}

/*
 * Reads up to len bytes of the console's input (what `rewind boot` gets on its
 * stdin, or from --input, when the image has no UART to take it) into buf,
 * without waiting.  Returns the bytes read, 0 at the end of the input, or
 * RW_EAGAIN while none has come yet (ask again later: stdin and read(0, ...)
 * wait so).  Input is consumed once: a request rolled back by txipc does not
 * get it again.
 */
static inline long rw_console_read(void *buf, size_t len)
{
	return rw__sys2(SYS_CONSOLE_READ, (long)(uintptr_t)buf, (long)len, 0);
}

/* Grows the heap by incr (>= 0) bytes. Returns the previous break or RW_ENOMEM. */
static inline long rw_sbrk(long incr)
{
	return rw__sys2(SYS_SBRK, incr, 0, 0);
}

/* Monotonic nanoseconds since boot. */
static inline uint64_t rw_clock_ns(void)
{
	return (uint64_t)rw__sys2(SYS_CLOCK, 0, 0, 0);
}

/*
 * Nanoseconds since 1970-01-01 00:00 UTC: the time of day at boot (the host's,
 * or `rewind boot --wall-clock`) plus the monotonic clock since.  time(),
 * gettimeofday() and clock_gettime(CLOCK_REALTIME) read it.
 */
static inline uint64_t rw_wall_clock_ns(void)
{
	return (uint64_t)rw__sys2(SYS_WALL_CLOCK, 0, 0, 0);
}

/* Ends the task as faulted with a message (explicit failed assertion). */
static inline __attribute__((noreturn)) void rw_abort(const char *msg, size_t len)
{
	for (;;)
		rw__sys2(SYS_ABORT, (long)(uintptr_t)msg, (long)len, 0);
}

/*
 * The IPC calls pass their capability slot in a0 with RW_SLOT_TAG set (the
 * kernel ignores it); a0 on return is a status, never the tagged slot.  If it
 * still is, the system call instruction never ran (a fault skipped it) and the
 * registers hold what was sent, not an answer: a failed assertion, which
 * txipc undoes, rather than a request or reply made up of them.
 */
__attribute__((noreturn)) void rw__syscall_skipped(void);

static inline long rw__tagged(long slot)
{
	return slot >= 0 ? (long)((uint64_t)slot | RW_SLOT_TAG) : slot;
}

/* A system call whose a0 still holds the tagged slot it was given did not run (skipped). */
static inline void rw__check_ran_a0(long a0, long tagged)
{
	if (a0 == tagged && tagged >= 0)
		rw__syscall_skipped();
}

static inline void rw__check_ran(const rw_regs *r, long tagged)
{
	rw__check_ran_a0(r->a0, tagged);
}

/* Own task id: index | generation << 16.  A task's first generation is 1;
 * each restart (recovery = "restart" or a shadow's) adds one. */
static inline long rw_task_self(void)
{
	return rw__sys2(SYS_TASK_SELF, 0, 0, 0);
}

static inline unsigned rw_task_index(long id)
{
	return (unsigned)(id & 0xffff);
}
static inline unsigned long rw_task_generation(long id)
{
	return (unsigned long)id >> 16;
}

/* ---------------------------------------------------------------------- */
/* Capabilities                                                           */
/* ---------------------------------------------------------------------- */

/* A capability: the slot number the kernel gave a name (rw_cap_get).  A
 * struct, so that a slot cannot be mixed up with a count or a length; every
 * call that takes a capability takes an rw_cap.  RW_CAP(n) makes one from a
 * raw slot number (tests that probe bad slots). */
typedef struct rw_cap {
	long slot;
} rw_cap;

#define RW_CAP(n) ((rw_cap){ (long)(n) })

/* Looks up a capability by manifest name (len bytes, no NUL needed).
 * Returns the slot (>= 0), RW_ENOENT, RW_EFAULT or RW_EINVAL. */
static inline long rw_cap_lookup(const char *name, size_t len)
{
	return rw__sys2(SYS_CAP_LOOKUP, (long)(uintptr_t)name, (long)len, 0);
}

/* rw_cap_lookup for a NUL-terminated name. */
static inline long rw_cap_lookup_str(const char *name)
{
	return rw_cap_lookup(name, __builtin_strlen(name));
}

/* Looks up the capability of a NUL-terminated manifest name into *cap.
 * Returns 0, or RW_ENOENT / RW_EFAULT / RW_EINVAL (then *cap is unchanged). */
static inline long rw_cap_get(const char *name, rw_cap *cap)
{
	long r = rw_cap_lookup_str(name);

	if (r >= 0)
		cap->slot = r;
	return r < 0 ? r : 0;
}

/* Re-binds a capability to the current generation of its peer after a
 * restart. Returns 0 or RW_E*; *generation (if not NULL) = peer generation. */
static inline long rw_cap_refresh(rw_cap cap, uint64_t *generation)
{
	long g = 0;
	long r = rw__sys2(SYS_CAP_REFRESH, cap.slot, 0, &g);
	if (generation)
		*generation = (uint64_t)g;
	return r;
}

__attribute__((noreturn)) void rw__client_alive_wrong(void);

/* A server's question about a client: 1 while a task that calls endpoint
 * `ep` (one this task serves) with `badge` lives (a restart included: the
 * badge outlives it), 0 once none does (it exited or died for good), or
 * RW_ECAP.  For resources a server keeps per client: free those of clients
 * that are gone.  Under txipc its answer is recorded for a replay.
 * A 0 is asked again before it is believed: a client once gone stays gone, so
 * a second answer that it lives means the first was wrong (a1 spoiled at the
 * system call, or the call skipped and a0 left as the slot), a fault that would
 * have freed a live client's resources with no trap (an outside B+tree's
 * cursors reaped after a reply: seeds 2152133, 2153051, 2153227 of session 55);
 * it is rw_panic, which txipc undoes.  The slot goes tagged, so a skipped call
 * is seen as the other IPC calls see it. */
static inline long rw_client_alive(rw_cap ep, uint64_t badge)
{
	long slot = rw__tagged(ep.slot);
	long r = rw__sys2(SYS_CLIENT_ALIVE, slot, (long)badge, 0);
	rw__check_ran_a0(r, slot);
	if (r == 0 && rw__sys2(SYS_CLIENT_ALIVE, slot, (long)badge, 0) != 0)
		rw__client_alive_wrong();
	return r;
}

/* ---------------------------------------------------------------------- */
/* Notifications                                                          */
/* ---------------------------------------------------------------------- */

static inline long rw_notify(rw_cap cap, uint64_t bits)
{
	return rw__sys2(SYS_NOTIFY, cap.slot, (long)bits, 0);
}

/* Blocks until some bit is pending; *bits = the pending bits (cleared). */
static inline long rw_wait(rw_cap cap, uint64_t *bits)
{
	long b = 0;
	long r = rw__sys2(SYS_WAIT, cap.slot, 0, &b);
	if (bits)
		*bits = (uint64_t)b;
	return r;
}

/* Like rw_wait but never blocks; *bits may be 0. */
static inline long rw_poll(rw_cap cap, uint64_t *bits)
{
	long b = 0;
	long r = rw__sys2(SYS_POLL, cap.slot, 0, &b);
	if (bits)
		*bits = (uint64_t)b;
	return r;
}

/* ---------------------------------------------------------------------- */
/* Devices                                                                */
/* ---------------------------------------------------------------------- */

/* Where a device's registers are mapped in this (driver) task.  dev is a
 * device capability (rw_cap_get of the manifest's device name).  Returns 0
 * or RW_E*; fills *base, *size and *kind (RW_DEV_*) when not NULL.  rw_wait /
 * rw_poll on a device capability wait for its interrupt (bit 0).  See
 * docs/DEVICES.md for the register maps, and <rewind/driver.h> for what
 * drivers build on this. */
static inline long rw_device_info(rw_cap dev, uintptr_t *base, size_t *size, unsigned *kind)
{
	rw_regs r = { dev.slot, 0, 0, 0, 0, 0, 0, SYS_DEVICE_INFO };
	rw_ecall(&r);
	if (r.a0 == 0) {
		if (base)
			*base = (uintptr_t)r.a1;
		if (size)
			*size = (size_t)r.a2;
		if (kind)
			*kind = (unsigned)r.a3;
	}
	return r.a0;
}

/* ---------------------------------------------------------------------- */
/* IPC                                                                    */
/* ---------------------------------------------------------------------- */

typedef struct rw_msg {
	uint64_t label; /* request kind / reply status */
	uint64_t w[4];  /* data words */
	uint64_t len;   /* bytes at offset 0 of the IPC buffer */
} rw_msg;

/* The task's IPC buffer (RW_IPC_BUF_SIZE bytes). */
static inline void *rw_ipc_buf(void)
{
	return (void *)(uintptr_t)RW_IPC_BUF_ADDR;
}

/*
 * The constant address addr (below 4 GiB), made by instructions here each time it is used: never a
 * register the compiler kept it in. For a check that must not share an address computation with
 * what it checks: gcc keeps a constant address in one register for both, and one skipped
 * instruction then spoils the work and its check alike (kv's PUT: docs/RECOVERY.md, session 56).
 */
#ifdef __riscv
#define RW_ADDR_AGAIN(type, addr)                                        \
	({                                                               \
		type _rw_p;                                              \
		__asm__ volatile("li %0, %1" : "=r"(_rw_p) : "i"(addr)); \
		_rw_p;                                                   \
	})
#else
#define RW_ADDR_AGAIN(type, addr)                                          \
	({                                                                 \
		type _rw_p;                                                \
		__asm__ volatile("movz %0, %1\n\tmovk %0, %2, lsl #16"     \
		                 : "=r"(_rw_p)                             \
		                 : "i"((addr)&0xffff), "i"((addr) >> 16)); \
		_rw_p;                                                     \
	})
#endif

/*
 * The address of sym, a variable of this file or program (its name, not an expression), made by
 * instructions here each time (PC-relative: lla, or adrp and add), as RW_ADDR_AGAIN does for a
 * constant: for a check of a variable that must not reuse the register the checked code kept
 * its address in (fs's commit: a skipped `addi s1, gp, ...` made its disk check and that
 * check's re-read both read elsewhere: docs/RECOVERY.md, session 57).
 */
#ifdef __riscv
#define RW_SYM_AGAIN(type, sym)                                  \
	({                                                       \
		type _rw_p;                                      \
		__asm__ volatile("lla %0, " #sym : "=r"(_rw_p)); \
		_rw_p;                                           \
	})
#else
#define RW_SYM_AGAIN(type, sym)                                                                 \
	({                                                                                      \
		type _rw_p;                                                                     \
		__asm__ volatile("adrp %0, " #sym "\n\tadd %0, %0, :lo12:" #sym : "=r"(_rw_p)); \
		_rw_p;                                                                          \
	})
#endif

/* rw_ipc_buf, its address made again (RW_ADDR_AGAIN): for a check of what was written there. */
static inline __attribute__((always_inline)) void *rw_ipc_buf_again(void)
{
	return RW_ADDR_AGAIN(void *, RW_IPC_BUF_ADDR);
}

/* One word into a message's sum (abi.def, SYS_SUMMED). */
static inline uint64_t rw__sum_step(uint64_t h, uint64_t x)
{
	h = (h ^ x) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 32);
}

/* A message's words chained through rw__sum_step: both sums (SYS_SUMMED, SYS_SUM_BACK) start so. */
static inline uint64_t rw__msg_chain(uint64_t label, uint64_t w0, uint64_t w1, uint64_t w2,
                                     uint64_t w3, uint64_t len)
{
	uint64_t h = rw__sum_step(0x9e3779b97f4a7c15ULL, label);
	h = rw__sum_step(h, w0);
	h = rw__sum_step(h, w1);
	h = rw__sum_step(h, w2);
	h = rw__sum_step(h, w3);
	return rw__sum_step(h, len);
}

/* The sum of a message (abi.def, SYS_SUMMED): what the kernel computes again from a1..a6. */
static inline uint64_t rw__msg_sum(uint64_t label, uint64_t w0, uint64_t w1, uint64_t w2,
                                   uint64_t w3, uint64_t len)
{
	return rw__msg_chain(label, w0, w1, w2, w3, len) & 0xffffffffULL;
}

/*
 * a1..a6 from *m, and a7 = nr with SYS_SUMMED and the message's sum, which is read from memory
 * apart from the loads that fill a1..a6 (both through volatile, so neither can stand for the
 * other). A fault that skips one of those loads, or changes one of the registers before the
 * system call, sends words that are not the message: the kernel finds them differing from the
 * sum and faults the sender instead of sending them (a server's stale reply word, with no trap:
 * kv seeds 1812104, 1812355, 1812739, session 50).
 */
static inline void rw__msg_to_regs_summed(const rw_msg *m, rw_regs *r, long nr)
{
	const volatile rw_msg *v = m;
	uint64_t sum = rw__msg_sum(v->label, v->w[0], v->w[1], v->w[2], v->w[3], v->len);
	r->a1 = (long)v->label;
	r->a2 = (long)v->w[0];
	r->a3 = (long)v->w[1];
	r->a4 = (long)v->w[2];
	r->a5 = (long)v->w[3];
	r->a6 = (long)v->len;
	r->a7 = (long)((uint64_t)nr | RW_SYS_SUMMED | sum << 32);
}

/*
 * The badge of the request the task last received (rw_recv, rw_reply_recv, rw_wait_any), kept in
 * memory as it came from the kernel, for rw_dispatch to check the badge it is given against: a
 * server owes one reply at a time, so the request it dispatches is the one it last received. A
 * flipped register or a skipped move between the receive and the handler gave a handler another
 * client's badge, with no trap (an outside interval tree's cursor answered ENOENT: seeds 1720280,
 * RISC-V, and 1721107, AArch64). .sum is 0 until a request came, then a0 as the kernel returned it
 * with the request (the sum of its words and badge, SYS_SUM_BACK: never 0), for rw_dispatch to
 * check the message it is given against (rw__check_delivered). It lives in the top 16 bytes of
 * the stack, which crt0 leaves unused: a page every serve loop writes at each receive anyway, so
 * under txipc the note costs no page of its own to log (a global in .bss did: one more page a
 * request, measured on the kv workload).
 */
#define RW__RECV_NOTE_ADDR (RW_STACK_TOP - 16)
struct rw__recv_note {
	uint64_t badge;
	uint64_t sum;
};

static inline volatile struct rw__recv_note *rw__recv_note_at(void)
{
	/* the address made here each time, so that a serve loop does not keep it in a
	 * callee-saved register of its own (one more register a fault could spoil) */
	return RW_ADDR_AGAIN(volatile struct rw__recv_note *, RW__RECV_NOTE_ADDR);
}

static inline void rw__note_request(uint64_t badge, long a0)
{
	volatile struct rw__recv_note *p = rw__recv_note_at();

	p->badge = badge;
	p->sum = (uint64_t)a0;
}

static inline void rw__regs_to_msg(const rw_regs *r, rw_msg *m)
{
	m->label = (uint64_t)r->a1;
	m->w[0] = (uint64_t)r->a2;
	m->w[1] = (uint64_t)r->a3;
	m->w[2] = (uint64_t)r->a4;
	m->w[3] = (uint64_t)r->a5;
	m->len = (uint64_t)r->a6;
}

/*
 * CALL, RECV, REPLY_RECV and WAIT_ANY ask for their results' sum (abi.def, SYS_SUM_BACK): on a
 * message (a request, a reply) a0 comes back as 0x80000000 | the sum of a1..a6 (and a request's
 * badge in a7; 32 bits folded to 31) in its upper half, 0 in its lower. The status is the lower
 * half.
 */
static inline long rw__status(long a0)
{
	return (long)(int32_t)a0;
}

__attribute__((noreturn)) void rw__message_not_as_sent(void);

/*
 * Once a message that came in a1..a6 (and a request's badge, noted) is in memory, its sum is
 * compared with the kernel's in a0: a register changed between the system call and its store, or
 * a skipped store, gave a handler another request than the one sent, with no trap (kv seed
 * 1862628: a request's word zeroed right after REPLY_RECV returned, so LIST's cursor restarted;
 * fs seed 1852819). A difference is an abort with RW_ABORT_DELIVERY: under txipc the request
 * is undone and delivered again, unseen by its client. `badge` is where the caller keeps its copy
 * of the badge (NULL: none).
 */
static inline void rw__check_got(long a0, const rw_msg *m, int request, const uint64_t *badge)
{
	const volatile rw_msg *v = m;
	uint64_t h = rw__msg_chain(v->label, v->w[0], v->w[1], v->w[2], v->w[3], v->len);

	if (request) {
		uint64_t b = rw__recv_note_at()->badge;
		if (badge && *(const volatile uint64_t *)badge != b)
			rw__message_not_as_sent();
		h = rw__sum_step(h, b);
	}
	h &= 0xffffffffULL;
	if ((uint64_t)a0 != (0x80000000ULL | ((h ^ (h >> 31)) & 0x7fffffffULL)) << 32)
		rw__message_not_as_sent();
}

/*
 * The message a serve loop hands rw_dispatch must be the request its last receive stored: the
 * receive checks the message where it stored it (rw__check_got), but the loop reads its own copy,
 * and a register that held the message's address spoiled before the receive (a bit flipped in
 * the window after a plain REPLY) had the receive store and check the request elsewhere while the
 * dispatch ran the loop's stale message (the last reply, label 0: ENOSYS), with no trap; the
 * kernel's run again of the refusal started from the same spoiled register and agreed (an outside
 * buddy allocator, AArch64 seed 2017187; t_loopreg's after-reply campaign, RISC-V seeds 2031041,
 * 2031069). So rw_dispatch compares the message it is given, with the noted badge, with the sum
 * the kernel gave the receive (the note); a difference is the delivery's abort, as above: txipc
 * delivers the request again, and when that abort comes again (the register was spoiled before
 * the receive) its history replay runs the work after the last reply again, with the register
 * intact. A serve loop must dispatch the message as its last receive returned it. (rw_serve and
 * rw_serve_ops do not compare: their reply and receive are one system call, with no work between
 * them, and the check costs ~50 instructions a request.)
 */
static inline void rw__check_delivered(const rw_msg *m)
{
	const volatile struct rw__recv_note *note = rw__recv_note_at();
	uint64_t sum = note->sum;

	if (sum == 0)
		return; /* (no request received yet through the SDK's receive calls) */
	rw__check_got((long)sum, m, 1, NULL);
}

/*
 * Sends *m on endpoint capability `cap` and waits for the reply, which
 * overwrites *m (reply data in the IPC buffer).  Returns the kernel status:
 * 0, RW_ECAP, RW_EDEAD (then m->label = the server's new generation),
 * RW_ETOOBIG, RW_ERECOVERED...  On an error *m is otherwise unspecified.
 */
static inline long rw_call(rw_cap cap, rw_msg *m)
{
	long slot = rw__tagged(cap.slot);
	rw_regs r = { slot, 0, 0, 0, 0, 0, 0, 0 };
	rw__msg_to_regs_summed(m, &r, SYS_CALL | RW_SYS_SUM_BACK);
	rw_ecall(&r);
	rw__check_ran(&r, slot);
	rw__regs_to_msg(&r, m);
	long st = rw__status(r.a0);
	if (st == 0)
		rw__check_got(r.a0, m, 0, NULL);
	return st;
}

/* rw_call for a request/reply protocol whose reply label is the server's
 * status: returns the kernel's error if the call failed, else the label. */
static inline long rw_rpc(rw_cap cap, rw_msg *m)
{
	long r = rw_call(cap, m);
	return r < 0 ? r : (long)m->label;
}

/*
 * RW_ERECOVERED from a call means the server (under recovery = "txipc")
 * faulted while handling the request and was rolled back: the request had no
 * effect, and sending it again is safe.  Most clients want just that, a few
 * times.  RW_RETRY_RECOVERED(res, expr, tries) sets res = expr (one call, made
 * whole: its message and IPC buffer filled again each time) and makes it
 * again while it gives RW_ERECOVERED, at most `tries` times in all; res is
 * then the last result (still RW_ERECOVERED if every try was rolled back).
 *   long r;
 *   RW_RETRY_RECOVERED(r, kv_put(kv, "key", "value"), 4);
 * RW_EDEAD is another matter: the server was restarted and lost its state.
 * So is RW_EINDOUBT: the server faulted after a server it called (a nested
 * call) had acted on the request.  The kernel first runs such a request again
 * itself, answering its nested calls from what they answered the first time
 * (no server is sent a request twice), and the client sees only the reply.
 * If that does not succeed either, the server's own changes are undone but
 * the called server's stay: the request had part of its effect, and only the
 * client knows whether sending it again is safe.
 */
#define RW_RETRY_RECOVERED(res, expr, tries)                             \
	do {                                                             \
		int rw_try_ = 0;                                         \
		do {                                                     \
			(res) = (expr);                                  \
		} while ((res) == RW_ERECOVERED && ++rw_try_ < (tries)); \
	} while (0)

/* Waits for a request on endpoint `ep` (receive right). *badge identifies
 * the client task (unique per client). */
static inline long rw_recv(rw_cap ep, rw_msg *m, uint64_t *badge)
{
	long slot = rw__tagged(ep.slot);
	rw_regs r = { slot, 0, 0, 0, 0, 0, 0, (long)(SYS_RECV | RW_SYS_SUM_BACK) };
	rw_ecall(&r);
	rw__check_ran(&r, slot);
	rw__regs_to_msg(&r, m);
	long st = rw__status(r.a0);
	if (st == 0)
		rw__note_request((uint64_t)r.a7, r.a0);
	if (badge)
		*badge = (uint64_t)r.a7;
	if (st == 0)
		rw__check_got(r.a0, m, 1, badge);
	return st;
}

__attribute__((noreturn)) void rw__reply_not_as_meant(void);

/* Replies to the pending caller. RW_ESTATE: none pending; RW_EDEAD: it died.
 *
 * The registers the reply went in are compared afterwards with *m, read again from memory
 * (the kernel leaves a1..a6 as they were): a skipped load of one of them, or one changed before
 * the system call, sent stale words with no trap (an own loop's reply whose label was a word
 * the dispatch had left in x1, or whose count was 0 beside the length of its entries: AArch64
 * seeds 1798011, 1798068 of an outside LRU cache, session 50, helper V).  A difference is a
 * failed assertion: under txipc a plain REPLY's reply is held until the server's next receive,
 * so the request is undone before its reply leaves. */
static inline long rw_reply(const rw_msg *m)
{
	rw_regs r = { 0, 0, 0, 0, 0, 0, 0, 0 };
	rw__msg_to_regs_summed(m, &r, SYS_REPLY);
	rw_ecall(&r);
	if (r.a0 == 0) {
		const volatile rw_msg *v = m;
		if ((uint64_t)r.a1 != v->label || (uint64_t)r.a2 != v->w[0] ||
		    (uint64_t)r.a3 != v->w[1] || (uint64_t)r.a4 != v->w[2] ||
		    (uint64_t)r.a5 != v->w[3] || (uint64_t)r.a6 != v->len)
			rw__reply_not_as_meant();
	}
	return r.a0;
}

/* Replies with *m (skipped if no caller is pending), then waits for the next
 * request on `ep`, which overwrites *m. */
static inline long rw_reply_recv(rw_cap ep, rw_msg *m, uint64_t *badge)
{
	long slot = rw__tagged(ep.slot);
	rw_regs r = { slot, 0, 0, 0, 0, 0, 0, 0 };
	rw__msg_to_regs_summed(m, &r, SYS_REPLY_RECV | RW_SYS_SUM_BACK);
	rw_ecall(&r);
	rw__check_ran(&r, slot);
	rw__regs_to_msg(&r, m);
	long st = rw__status(r.a0);
	if (st == 0)
		rw__note_request((uint64_t)r.a7, r.a0);
	if (badge)
		*badge = (uint64_t)r.a7;
	if (st == 0)
		rw__check_got(r.a0, m, 1, badge);
	return st;
}

/*
 * Waits for whichever comes first (WAIT_ANY): a request on endpoint `ep`
 * (RW_CAP(-1): none), bits on notification or device capability `n`
 * (RW_CAP(-1): none), or `timeout_ns` nanoseconds (0: no timeout).
 *   returns 0         a request, in *m and *badge, exactly as rw_recv;
 *   returns RW_WOKEN  the notification's bits in *bits (read and cleared);
 *   returns RW_ETIMEDOUT, or another RW_E* (RW_ESTATE: a reply is owed).
 * A server that must serve clients and react to a device or a peer's signal
 * (a network stack) waits here instead of in rw_recv.  m, badge and bits may
 * be NULL when the corresponding source is RW_CAP(-1).
 */
static inline long rw_wait_any(rw_cap ep, rw_cap n, uint64_t timeout_ns, rw_msg *m, uint64_t *badge,
                               uint64_t *bits)
{
	long slot = rw__tagged(ep.slot);
	rw_regs r = {
		slot, n.slot, (long)timeout_ns, 0, 0, 0, 0, (long)(SYS_WAIT_ANY | RW_SYS_SUM_BACK)
	};
	rw_ecall(&r);
	rw__check_ran(&r, slot);
	long st = rw__status(r.a0);
	if (st == 0) {
		rw__note_request((uint64_t)r.a7, r.a0);
		if (m)
			rw__regs_to_msg(&r, m);
		if (badge)
			*badge = (uint64_t)r.a7;
		if (m)
			rw__check_got(r.a0, m, 1, badge);
	} else if (st == RW_WOKEN && bits) {
		*bits = (uint64_t)r.a1;
	}
	return st;
}

/* Sleeps for at least ns nanoseconds (ns > 0). Returns 0. */
static inline long rw_sleep_ns(uint64_t ns)
{
	long r = rw_wait_any(RW_CAP(-1), RW_CAP(-1), ns ? ns : 1, 0, 0, 0);
	return r == RW_ETIMEDOUT ? 0 : r;
}

/* ---------------------------------------------------------------------- */
/* Server loop (librewind)                                                */
/* ---------------------------------------------------------------------- */

/* Handles one request: *m is the request on entry (data in the IPC buffer)
 * and must hold the reply on return (reply data written to the IPC buffer). */
typedef void (*rw_handler)(rw_msg *m, uint64_t badge, void *ctx);

/* Receives requests on endpoint `ep` forever, replying to each with what
 * `handle` leaves in *m.  Never returns (aborts if `ep` is not a receive
 * capability). */
__attribute__((noreturn)) void rw_serve(rw_cap ep, rw_handler handle, void *ctx);

/* Table-driven servers (one handler per request, checked against the
 * protocol's generated rules): rw_serve_ops in <rewind/proto.h>. */

/* ---------------------------------------------------------------------- */
/* Diagnostics (librewind)                                                */
/* ---------------------------------------------------------------------- */

/* Name of a RW_E* code ("EINVAL"...), "OK" for 0, "E?" when unknown. */
const char *rw_strerror(long err);

/* Flushes buffered stdout/stderr output (done automatically at '\n'/exit). */
void rw_console_flush(void);

/* Aborts with "file:line: assertion 'expr' failed". */
__attribute__((noreturn)) void rw_assert_fail(const char *file, int line, const char *expr);

/* Flushes the console and aborts the task with a NUL-terminated message. */
__attribute__((noreturn)) void rw_panic(const char *msg);

#define RW_ASSERT(cond) ((cond) ? (void)0 : rw_assert_fail(__FILE__, __LINE__, #cond))

/*
 * memcpy(dst, src, n), then the copy compared with its source: if they differ (a fault
 * inside the copy left wrong bytes without a trap), rw_panic, a fault of the request that
 * txipc undoes and runs again. dst and src must not overlap. For the payload a server
 * keeps or hands out (a file's bytes, a stored value): it reads every byte twice.
 */
void *rw_copy_checked(void *dst, const void *src, size_t n);

/* memcpy without the compare the SDK's makes while the task serves a request (for rw_copy_checked). */
void rw__copy_plain(void *dst, const void *src, size_t n);

/* Hides a value from the optimizer (for deliberate faults and benchmarks). */
#define RW_OPAQUE(x)                       \
	({                                 \
		__typeof__(x) rw__o = (x); \
		__asm__("" : "+r"(rw__o)); \
		rw__o;                     \
	})

#ifdef __cplusplus
}
#endif

#endif /* REWIND_REWIND_H */
