/*
 * Faults that must be attributed to the exact instruction and cause, one per ELF
 * (built with -DFPC=FPC_xxx; booted as bare one-task systems by kernel FaultPcTest).
 * Prints "fpc: ready" just before faulting; "fpc: survived" (exit 3) if it did not.
 */
#include <stdio.h>
#include <stdint.h>
#include <rewind/rewind.h>

#define FPC_DEREF_WARM 1  /* load in deref()'s first instruction, call site warm */
#define FPC_DEREF_COLD 2  /* the same, on the first call */
#define FPC_EBREAK     3  /* 4-byte ebreak */
#define FPC_CEBREAK    4  /* c.ebreak */
#define FPC_AMO        5  /* misaligned amoadd.d */
#define FPC_PAGE_LOAD  6  /* Sv39 on (MPRV, MPP=S), all PTEs invalid: load page fault */
#define FPC_PAGE_STORE 7  /* ... store page fault */
#define FPC_PAGE_FETCH 8  /* mret to S-mode with Sv39 on: instruction page fault */
#define FPC_MRET_ODD   9  /* mret to an odd address */
#define FPC_STACK      10 /* unbounded recursion: into the guard page below the stack */
#define FPC_ABORT_ESC  11 /* abort message with ESC first, newline, ESC and BEL */
#define FPC_PMP_LOAD   12 /* a locked PMP entry without permissions: load access fault */
#define FPC_PMP_STORE  13 /* ... store access fault */
#define FPC_PMP_FETCH  14 /* ... over the code page of fpc_landing: instruction access fault */
#define FPC_BIG_FRAME  15 /* one 1 MiB frame on the 64K stack: far below the guard page */

#ifndef FPC
#error "build with -DFPC=FPC_xxx"
#endif

#define WILD_ADDR 0x50000000UL

volatile uint64_t fpc_sink;
uint64_t fpc_target; /* the data the page-fault variants touch */
static uint64_t fpc_root[512] __attribute__((aligned(4096))); /* an all-invalid Sv39 root */
__attribute__((unused)) static uint64_t fpc_cells[4] = { 1, 2, 3, 4 };

__attribute__((noinline)) long deref(volatile long *p)
{
	return *p;
}

/*
 * Where the fetch faults land: a loop whose bytes 1 and 2 are 00 00 (c.nop is
 * 01 00, c.addi4spn s0, sp, 16 is 00 08), so that an mret to fpc_landing + 1
 * makes the engine decode the illegal 0x0000 there and trap at once, whatever
 * code the linker puts after it.  (It is never run: every test faults first.)
 */
void fpc_landing(void);
__asm__(".text\n"
        ".globl fpc_landing\n"
        ".type fpc_landing, @function\n"
        ".balign 4\n"
        "fpc_landing:\n"
        "	c.nop\n"
        "	c.addi4spn s0, sp, 16\n"
        "	c.j fpc_landing\n"
        ".size fpc_landing, . - fpc_landing\n");

__attribute__((noinline)) long recurse(long n)
{
	volatile char frame[512];
	frame[0] = (char)n;
	if (RW_OPAQUE(n) < 0)
		return 0;
	return recurse(n + 1) + frame[0];
}

__attribute__((noinline, unused)) static long big_frame(long n)
{
	volatile char frame[1 << 20];
	frame[0] = (char)n;
	return frame[0];
}

__attribute__((unused)) static void paging_on(uint64_t mpp_bits, int mprv)
{
	uint64_t satp = (8ULL << 60) | ((uintptr_t)fpc_root >> 12);
	__asm__ __volatile__("csrw satp, %0" ::"r"(satp) : "memory");
	__asm__ __volatile__("csrc mstatus, %0" ::"r"(3UL << 11) : "memory");
	__asm__ __volatile__("csrs mstatus, %0" ::"r"(mpp_bits | (mprv ? 1UL << 17 : 0))
	                     : "memory");
}

/* Lock a no-access NAPOT 4K PMP region over the page at `page` (M-mode is bound by it too). */
__attribute__((unused)) static void pmp_lock(uintptr_t page)
{
	__asm__ __volatile__("csrw pmpaddr0, %0" ::"r"((page >> 2) | 0x1ff) : "memory");
	__asm__ __volatile__("csrw pmpcfg0, %0" ::"r"(0x98UL) : "memory");
	__asm__ __volatile__(
	        "sfence.vma" ::
	                : "memory"); /* as the privileged spec asks after a PMP change */
}

int main(void)
{
	long sum = 0;
	(void)sum;
	printf("fpc: ready\n");
#if FPC == FPC_DEREF_WARM
	/* branch-free choice of the pointer: the last call takes the same (chained) path */
	for (int i = 0; i <= 200; i++) {
		uintptr_t good = (uintptr_t)&fpc_cells[i & 3];
		uintptr_t bad = RW_OPAQUE((uintptr_t)WILD_ADDR);
		uintptr_t m = RW_OPAQUE((uintptr_t)0) - (uintptr_t)(i >= 200);
		sum += deref(RW_OPAQUE((volatile long *)((good & ~m) | (bad & m))));
	}
#elif FPC == FPC_DEREF_COLD
	sum += deref(RW_OPAQUE((volatile long *)WILD_ADDR));
#elif FPC == FPC_EBREAK
	__asm__ __volatile__(".option push\n.option norvc\nebreak\n.option pop");
#elif FPC == FPC_CEBREAK
	__asm__ __volatile__("c.ebreak");
#elif FPC == FPC_AMO
	__asm__ __volatile__("amoadd.d %0, %1, (%2)"
	                     : "=r"(sum)
	                     : "r"(1L), "r"((char *)&fpc_cells[0] + 4)
	                     : "memory");
#elif FPC == FPC_PAGE_LOAD
	paging_on(1UL << 11, 1);
	fpc_sink = *RW_OPAQUE((volatile uint64_t *)&fpc_target);
#elif FPC == FPC_PAGE_STORE
	paging_on(1UL << 11, 1);
	*RW_OPAQUE((volatile uint64_t *)&fpc_target) = 7;
#elif FPC == FPC_PAGE_FETCH
	paging_on(1UL << 11, 0);
	__asm__ __volatile__("csrw mepc, %0\nmret" ::"r"((uintptr_t)&fpc_landing) : "memory");
#elif FPC == FPC_MRET_ODD
	__asm__ __volatile__("csrs mstatus, %0" ::"r"(3UL << 11) : "memory");
	__asm__ __volatile__("csrw mepc, %0\nmret" ::"r"((uintptr_t)&fpc_landing + 1) : "memory");
#elif FPC == FPC_STACK
	sum = recurse(RW_OPAQUE(1L));
#elif FPC == FPC_BIG_FRAME
	sum = big_frame(RW_OPAQUE(1L));
#elif FPC == FPC_ABORT_ESC
	static const char msg[] = "\033]0;t\abad\n\033[2Jrewind: task forged\a\xff end\n";
	rw_abort(msg, sizeof msg - 1);
#elif FPC == FPC_PMP_LOAD
	pmp_lock((uintptr_t)fpc_root);
	fpc_sink = *RW_OPAQUE((volatile uint64_t *)&fpc_root[1]);
#elif FPC == FPC_PMP_STORE
	pmp_lock((uintptr_t)fpc_root);
	*RW_OPAQUE((volatile uint64_t *)&fpc_root[1]) = 7;
#elif FPC == FPC_PMP_FETCH
	pmp_lock((uintptr_t)&fpc_landing & ~(uintptr_t)0xfff);
	fpc_landing();
#else
#error "unknown FPC"
#endif
	printf("fpc: survived %ld\n", sum);
	return 3;
}
