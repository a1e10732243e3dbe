/*
 * rewind_native: the few Unicorn hooks that must not cost a trip into Java, in three parts:
 *   traps.c     the trap hooks (interrupt, invalid memory, precise preemption), and a whole
 *               run in one call (rw_run: staged register writes, uc_emu_start, the syscall's reads)
 *   undo_log.c  the TxIPC undo log (the 2.0.1 store hook, commit, rollback, history)
 *   mmu.c       the MMU: Unicorn 2.1's TLB-fill hook, and write tracking through it
 * built into one library (hw/pom.xml). This header holds the structs they share, each
 * mirrored field by field on the Java side (NativeHooks.java, NativeWriteTracker.java).
 *
 * A JNA callback costs ~0.5-0.8 us; these hooks cost nanoseconds. They record what happened
 * in small structs owned by the Java side, so the kernel handles every trap after
 * uc_emu_start has returned, on its own stack, with no Java frames under Unicorn's.
 *
 * No Unicorn header is included and no Unicorn library linked: the Java side passes the
 * addresses of uc_emu_stop and uc_ctl from whichever libunicorn it loaded, so a newer
 * libunicorn.so.2 given by path works without rebuilding this.
 */
#ifndef REWIND_NATIVE_H
#define REWIND_NATIVE_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define RW_HIDDEN __attribute__((visibility("hidden")))

typedef int (*uc_emu_stop_fn)(void *uc);

/* Written by the hooks, read by Java. Keep in sync with NativeHooks.java. */
struct rw_trap {
	int32_t intno;       /* last exception / ecall cause, -1 if none     (offset 0)  */
	int32_t mem_type;    /* uc_mem_type of the last invalid access, 0    (offset 4)  */
	int64_t mem_addr;    /* its address                                  (offset 8)  */
	int32_t mem_size;    /* its size                                     (offset 16) */
	int32_t sysreg;      /* RW_INTNO_MSR: the refused register's encoding (offset 20) */
	uc_emu_stop_fn stop; /* uc_emu_stop of the loaded library            (offset 24) */
	int32_t preempt;     /* set by another thread: stop at the next block (offset 32) */
	int32_t preempted;   /* the block hook stopped the engine            (offset 36) */
	int64_t preempt_pc;  /* the block it stopped at: the exact resume PC (offset 40) */
};

/* rw_msr_hook's trap number: not an exception number of the engine's. */
#define RW_INTNO_MSR   0x100
/* In sysreg after RW_INTNO_MSR: an exception came after the refused MSR in the same run. */
#define RW_SYSREG_PAST (int32_t)0x80000000

/* Unicorn's uc_arm64_cp_reg. */
struct rw_cp_reg {
	uint32_t crn, crm, op0, op1, op2;
	uint64_t val;
};

uint32_t rw_msr_hook(void *uc, int reg, const struct rw_cp_reg *cp, void *user);

/*
 * The data accesses to a device's register page (traps.c, rw_access_hook), the last
 * RW_ACCESS_RING of them: access n is at index n % RW_ACCESS_RING. Keep in sync with
 * Unicorn.AccessLog.
 */
#define RW_ACCESS_RING  8
#define RW_ACCESS_WRITE 0x100 /* in what[]: the access is a store */
#define RW_UC_MEM_WRITE 17    /* Unicorn's UC_MEM_WRITE */
struct rw_access_log {
	uint64_t count;                /* accesses logged so far (offset 0)   */
	uint64_t addr[RW_ACCESS_RING]; /* their addresses           (offset 8)  */
	uint64_t what[RW_ACCESS_RING]; /* size | RW_ACCESS_WRITE    (offset 72) */
};

/*
 * One run of an engine in one native call (traps.c, rw_run): the registers staged since the
 * last run are written, the trap record is reset, uc_emu_start runs, and after a syscall trap
 * the syscall's registers are read. Keep in sync with NativeRun.java.
 */
#define RW_RUN_REGS 16

typedef int (*uc_emu_start_fn)(void *uc, uint64_t begin, uint64_t until, uint64_t timeout,
                               size_t count);
typedef int (*uc_reg_batch_fn)(void *uc, int *ids, void **vals, int count);

struct rw_run {
	void *uc;              /* 0   */
	struct rw_trap *trap;  /* 8   */
	uc_emu_start_fn start; /* 16: uc_emu_start of the loaded library */
	uc_reg_batch_fn write; /* 24: uc_reg_write_batch */
	uc_reg_batch_fn read;  /* 32: uc_reg_read_batch */
	uint64_t read_on;      /* 40: bit n: after exception n (a syscall), read the read set */
	int32_t nwrite;        /* 48: staged registers of the write set (0 after the write) */
	int32_t nread;         /* 52: registers in the read set */
	int32_t write_err;     /* 56: uc_err of the last staged write, 0 if none failed */
	int32_t read_err;      /* 60: uc_err of the last read, 0 if none failed */
	int32_t write_ids[RW_RUN_REGS];  /* 64  */
	int32_t read_ids[RW_RUN_REGS];   /* 128 */
	int64_t write_vals[RW_RUN_REGS]; /* 192 */
	int64_t read_vals[RW_RUN_REGS];  /* 320 */
	void *write_ptrs[RW_RUN_REGS];   /* 448: &write_vals[i] */
	void *read_ptrs[RW_RUN_REGS];    /* 576: &read_vals[i] */
};                                       /* 704 */

#define RW_PAGE 4096u

struct rw_region {
	uint64_t vaddr; /* 0  */
	uint64_t size;  /* 8  */
	uint8_t *host;  /* 16 */
	uint8_t *dirty; /* 24: one bit per page */
	int64_t *
	        keyed; /* 32: per page, 1 + the commit number of its last whole-page record (0: none) */
	uint8_t *copy;   /* 40: the committed copy of the region, or null: see undo_log.c */
	int64_t scratch; /* 48: not state between transactions: rolled back, never kept as history */
};

struct rw_tx {
	int32_t active;    /* 0  */
	int32_t overflow;  /* 4: a page could not be logged: the transaction cannot be undone */
	int32_t nregions;  /* 8  */
	int32_t npages;    /* 12: pages logged by the current transaction */
	int32_t maxpages;  /* 16: slots in the staging log */
	int32_t last;      /* 20: index of the region that matched last */
	uint8_t *log;      /* 24: maxpages * RW_PAGE bytes: the current transaction's pre-images */
	uint64_t *logaddr; /* 32: their page addresses */
	int64_t head;      /* 40: (unused: the staging log starts at slot 0 every transaction) */
	int64_t cur;       /* 48: first slot of the current transaction (0) */
	int32_t nhist;     /* 56: committed transactions kept */
	int32_t maxhist;   /* 60: at most this many (0: none) */
	int64_t *
	        hstart; /* 64: their first record's position in dlog, a ring of maxhist by commit number */
	int64_t ncommits;  /* 72: commits so far (minus those undone): indexes hstart */
	uint64_t lastpage; /* 80: a page already logged in this transaction (~0: none), so that
                               a run of stores to one page costs one compare each */
	struct rw_region *regions; /* 88: nregions entries, sorted by vaddr, not overlapping */
	int32_t maxtx;             /* 96: pages one transaction may log (at most maxpages) */
	int32_t keyevery;          /* 100: a page's record is its whole pre-image at least every
	                              keyevery commits that log it (1: always; see undo_log.c) */
	uint8_t *dlog;             /* 104: the history: a ring of dcap bytes of undo records */
	int64_t dcap;              /* 112: its size, a multiple of 8 (0: no history can be kept) */
	int64_t dhead;             /* 120: position of the oldest kept transaction's first record */
	int64_t dend;              /* 128: position past the newest record */
	int32_t copyok; /* 136: the regions' copies hold memory as the last commit left it */
	int32_t pad;    /* 140 */
	uint8_t **pre;  /* 144: per staging slot, where its page's pre-image is: the slot, or the
	                   page's committed copy when the page matched it as it was logged */
};

/*
 * The entry of a table sorted by address whose [vaddr, vaddr+size) holds page, or -1: the one
 * that matched last (*last), else a binary search. Both region structs (struct rw_region here,
 * struct rw_mmu_region in mmu.c) begin with uint64_t vaddr, size; stride is the struct's size.
 */
static inline int rw_search(const void *table, int n, size_t stride, int32_t *last, uint64_t page)
{
	const uint64_t *e;
	if (*last < n) {
		e = (const uint64_t *)((const char *)table + (size_t)*last * stride);
		if (page - e[0] < e[1])
			return *last;
	}
	int lo = 0, hi = n;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		e = (const uint64_t *)((const char *)table + (size_t)mid * stride);
		if (page < e[0]) {
			hi = mid;
		} else if (page - e[0] < e[1]) {
			*last = mid;
			return mid;
		} else {
			lo = mid + 1;
		}
	}
	return -1;
}

/* Shared by the undo log and the MMU (not exported). */
RW_HIDDEN struct rw_region *rw_find(struct rw_tx *tx, uint64_t page);
RW_HIDDEN int rw_log_page(struct rw_tx *tx, uint64_t page);

#endif
