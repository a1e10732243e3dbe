/* The trap hooks: what Unicorn reports is recorded in struct rw_trap (rewind_native.h). */
#include "rewind_native.h"

/* UC_HOOK_INTR: record the cause and stop; the kernel decodes it after the run. */
void rw_intr_hook(void *uc, uint32_t intno, void *user)
{
	struct rw_trap *t = user;
	t->intno = (int32_t)intno;
	t->stop(uc);
}

/* UC_HOOK_MEM_INVALID: record the access and refuse it, which ends the run with an error. */
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

/* The struct's size, so the Java side can check its mirror at load time. */
int rw_trap_size(void)
{
	return (int)sizeof(struct rw_trap);
}
