/*
 * The trap hooks: what Unicorn reports is recorded in struct rw_trap (rewind_native.h). And the
 * run itself (rw_run), so that a syscall answered and resumed costs one call from Java.
 */
#include "rewind_native.h"

/*
 * UC_HOOK_INTR: record the cause and stop; the kernel decodes it after the run. A refused MSR
 * earlier in the run stays the cause: a write to a register whose write does not end its block
 * (ACTLR_EL1) leaves its stop to the next exit check, and an svc before that check (nothing but
 * register arithmetic between them) used to replace the refusal with a syscall. The record then
 * notes that the run went past the MSR (RW_SYSREG_PAST), so that the MSR is looked for before
 * the PC.
 */
void rw_intr_hook(void *uc, uint32_t intno, void *user)
{
	struct rw_trap *t = user;
	if (t->intno == RW_INTNO_MSR)
		t->sysreg |= RW_SYSREG_PAST;
	else
		t->intno = (int32_t)intno;
	t->stop(uc);
}

/* UC_HOOK_MEM_INVALID: record the access and refuse it, which ends the run with an error. */
/*
 * AArch64 MSR (register) hook (UC_HOOK_INSN, UC_ARM64_INS_MSR): the guest runs at EL1, so
 * without it a task could write SPSR_EL1 and ELR_EL1 and ERET into AArch32 state (which the
 * kernel does not model: the engine's x registers and PC go stale), or set SCTLR_EL1's
 * big-endian, alignment or MMU bits. Only the registers EL0 owns (op0 3, op1 3: NZCV, DAIF,
 * FPCR, FPSR, TPIDR_EL0, ...) may be written; any other write is skipped, recorded as
 * RW_INTNO_MSR with its encoding in the record's sysreg field, and stops the engine. Most
 * writes end their translation block, so nothing after them runs; a write to a register the
 * core holds constant (ACTLR_EL1) does not, and the stop waits for the next exit check (the
 * next load or store, or block): an svc before it does not replace the refusal (rw_intr_hook).
 */
uint32_t rw_msr_hook(void *uc, int reg, const struct rw_cp_reg *cp, void *user)
{
	struct rw_trap *t = user;
	(void)reg;
	if (cp->op0 == 3 && cp->op1 == 3)
		return 0;
	t->intno = RW_INTNO_MSR;
	t->sysreg = (int32_t)((cp->op0 << 19) | (cp->op1 << 16) | (cp->crn << 12) | (cp->crm << 8) |
	                      (cp->op2 << 5));
	t->stop(uc);
	return 1;
}

bool rw_mem_invalid_hook(void *uc, int type, uint64_t address, int size, int64_t value, void *user)
{
	struct rw_trap *t = user;
	(void)uc;
	(void)value;
	t->mem_type = type;
	t->mem_addr = (int64_t)address;
	t->mem_size = size;
	return false;
}

/*
 * UC_HOOK_BLOCK: precise preemption. Unicorn 2.0.1's uc_emu_stop from another thread can end
 * a run in the middle of a translation block with the PC left at the block's start, so the
 * instructions already executed in that block run again when the task resumes (measured:
 * loads and stores in long blocks). Instead, the watchdog raises `preempt` and this hook, at
 * the start of the next block, stops the engine from the emulation thread itself, where the
 * block's start is the resume point and nothing of the block has run. The hook records that
 * address: while any code hook exists in the engine, Unicorn 2.0.1 does not put the PC back to
 * the block's start when a run ends there (it trusts code hooks to have synced it), so after a
 * jump from a chained block the PC register still holds the last PC a code hook synced, in an
 * earlier block (measured: DebugHooksTest). The Java side sets the PC to preempt_pc.
 */
void rw_block_hook(void *uc, uint64_t address, uint32_t size, void *user)
{
	struct rw_trap *t = user;
	(void)size;
	if (*(volatile int32_t *)&t->preempt) {
		t->preempt = 0;
		t->preempted = 1;
		t->preempt_pc = (int64_t)address;
		t->stop(uc);
	}
}

/*
 * UC_HOOK_CODE over all code: counts the instructions run into the int64_t at user. A profile
 * of every instruction of a workload (the fault injector's) costs nanoseconds an instruction
 * here, where a hook into Java costs ~0.5 us each.
 */
void rw_count_hook(void *uc, uint64_t address, uint32_t size, void *user)
{
	(void)uc;
	(void)address;
	(void)size;
	++*(int64_t *)user;
}

/*
 * UC_HOOK_CODE over all code: counts the instructions run and stops the engine (as a hook into
 * Java calling uc_emu_stop would, at the same point) when the count reaches target. The fault
 * injector's strike "at instruction N of request M" counted in Java: ~0.6 us an instruction,
 * which put a request of millions of instructions past its deadline before the strike.
 */
struct rw_countdown {
	int64_t count;       /* 0  */
	int64_t target;      /* 8  */
	uc_emu_stop_fn stop; /* 16: uc_emu_stop of the loaded library */
	int32_t reached;     /* 24: the target was reached and the engine asked to stop */
	int32_t pad;         /* 28 */
};

void rw_countdown_hook(void *uc, uint64_t address, uint32_t size, void *user)
{
	struct rw_countdown *c = user;
	(void)address;
	(void)size;
	if (++c->count == c->target) {
		c->reached = 1;
		c->stop(uc);
	}
}

/*
 * UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE over all memory: records the page of each access in
 * an open-addressing set (struct rw_pageset, owned by the Java side). What the fault injector
 * learns the pages a server touched from; a hook into Java per access cost ~1 us, enough to
 * push a heavy request past its deadline.
 */
struct rw_pageset {
	uint64_t *slots; /* 0: cap entries, page number + 1, 0: empty */
	int64_t cap;     /* 8: a power of two */
	int64_t n;       /* 16: pages in the set */
	uint64_t last;   /* 24: the entry added or found last */
	int32_t full;    /* 32: a page was not added: the set is at half its capacity */
	int32_t pad;     /* 36 */
};

void rw_page_hook(void *uc, int type, uint64_t address, int size, int64_t value, void *user)
{
	struct rw_pageset *s = user;
	(void)uc;
	(void)type;
	(void)size;
	(void)value;
	uint64_t key = (address >> 12) + 1;
	if (key == s->last)
		return;
	uint64_t mask = (uint64_t)s->cap - 1;
	for (uint64_t i = (key * 0x9E3779B97F4A7C15ull) >> 32;; i++) {
		uint64_t *e = &s->slots[i & mask];
		if (*e == key)
			break;
		if (*e == 0) {
			if (2 * (s->n + 1) > s->cap) {
				s->full = 1;
				return;
			}
			*e = key;
			s->n++;
			break;
		}
	}
	s->last = key;
}

/*
 * UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE on a device's register page: log the access (its
 * address, size and direction) for the device, which reads the log at its next register piece
 * (Device.java, beginAccess) instead of being called for every access. The log keeps the last
 * RW_ACCESS_RING accesses; count grows by one per access.
 */
void rw_access_hook(void *uc, int type, uint64_t address, int size, int64_t value, void *user)
{
	struct rw_access_log *l = user;
	(void)uc;
	(void)value;
	uint64_t i = l->count % RW_ACCESS_RING;
	l->addr[i] = address;
	l->what[i] = (uint64_t)(uint32_t)size | (type == RW_UC_MEM_WRITE ? RW_ACCESS_WRITE : 0);
	l->count++;
}

int rw_access_log_size(void)
{
	return (int)sizeof(struct rw_access_log);
}

/* Point the batch pointers at their values (once, when the Java side creates the struct). */
void rw_run_init(struct rw_run *r)
{
	for (int i = 0; i < RW_RUN_REGS; i++) {
		r->write_ptrs[i] = &r->write_vals[i];
		r->read_ptrs[i] = &r->read_vals[i];
	}
}

/* Write the staged registers now (before the Java side reads or writes others). */
int rw_run_flush(struct rw_run *r)
{
	int n = r->nwrite;
	r->nwrite = 0;
	if (n <= 0)
		return 0;
	r->write_err = r->write(r->uc, r->write_ids, r->write_ptrs, n);
	return r->write_err;
}

/*
 * A whole run in one call from Java (each JNA call costs ~0.1 us, as much as the engine's own
 * trap): write the staged registers (the results of the last syscall), reset the trap record
 * (a pending preemption request is kept), run, and after a syscall trap read the syscall's
 * registers. Returns uc_emu_start's uc_err, or -1 if the staged write failed and the engine did
 * not run (write_err says why); read_err is set if the read failed.
 */
int rw_run(struct rw_run *r, uint64_t begin, uint64_t until)
{
	struct rw_trap *t = r->trap;
	r->read_err = 0;
	if (rw_run_flush(r) != 0)
		return -1;
	t->intno = -1;
	t->mem_type = 0;
	t->preempted = 0;
	int err = r->start(r->uc, begin, until, 0, 0);
	int n = t->intno;
	if (n >= 0 && n < 64 && ((r->read_on >> n) & 1))
		r->read_err = r->read(r->uc, r->read_ids, r->read_ptrs, r->nread);
	return err;
}

/*
 * rw_run as a JNI method (NativeRun.run0): a JNI call costs ~10-20 ns where a JNA call costs
 * ~80-100 ns, and this one is made for every trap. Declared without jni.h (no JDK headers
 * needed to build): on the platforms Rewind runs on (Linux x86-64 and AArch64) JNICALL is
 * empty, jlong is int64_t and jint int32_t; the JNIEnv and class are unused.
 */
__attribute__((visibility("default"))) int32_t
Java_dev_rewind_hw_unicorn_NativeRun_run0(void *env, void *cls, int64_t run, int64_t begin,
                                          int64_t until)
{
	(void)env;
	(void)cls;
	return rw_run((struct rw_run *)(intptr_t)run, (uint64_t)begin, (uint64_t)until);
}

/*
 * uc_reg_read_batch of the loaded Unicorn (fn) as a JNI method (Unicorn.readBatch0), like run0:
 * a txipc server's registers are read at every request (33 for the commit check), and a JNA
 * call costs ~80-100 ns of the ~2 us a request's transaction costs. The transaction's begin
 * and commit are JNI methods too (mmu.c, undo_log.c).
 */
__attribute__((visibility("default"))) int32_t
Java_dev_rewind_hw_unicorn_Unicorn_readBatch0(void *env, void *cls, int64_t fn, int64_t uc,
                                              int64_t ids, int64_t vals, int32_t count)
{
	(void)env;
	(void)cls;
	return ((uc_reg_batch_fn)(intptr_t)fn)((void *)(intptr_t)uc, (int *)(intptr_t)ids,
	                                       (void **)(intptr_t)vals, count);
}

/* The structs' sizes, so the Java side can check its mirrors at load time. */
int rw_trap_size(void)
{
	return (int)sizeof(struct rw_trap);
}

int rw_run_size(void)
{
	return (int)sizeof(struct rw_run);
}
