/* ---- the MMU: Unicorn 2.1's virtual-TLB fill hook ---------------------------------------
 *
 * In UC_TLB_VIRTUAL mode Unicorn asks this hook for every TLB miss: the page, the access
 * (UC_MEM_READ 16, UC_MEM_WRITE 17, UC_MEM_FETCH 18) and an entry to fill with the physical
 * page and the permissions the TLB may cache. The permissions are the address space's: the
 * Java side (Unicorn.java) mirrors every mapping into the table below, so the policy stays in
 * Java and this is only the lookup. Identity mapping: each engine holds one task, whose
 * "physical" memory is its own mapped regions.
 *
 * Why it exists (docs/PERFORMANCE.md): Unicorn sets TLB_NOTDIRTY on writable pages that may
 * hold code, sending each store through a slow helper (~40-115 ns). An entry filled without
 * EXEC for data and without WRITE for code takes QEMU's inline fast path (~2 ns a store).
 *
 * Transactions: while tx->active, a data page not yet logged is filled readable only; the
 * first store to it misses again (as a WRITE), and this hook logs its pre-image before
 * returning it writable. The Java side flushes the TLB when a transaction begins, so no entry
 * made writable earlier survives into it. No per-store hook is needed.
 *
 * A refused access records the fault in the trap record (mem_size -1: the address is the
 * page; the PC, restored by Unicorn before the hook runs, is exact) and returns false: the
 * run ends with an error.
 *
 * Growing the TLB: the engine's TLB starts at 256 entries (1 MiB of 4 KiB pages) and Unicorn,
 * like QEMU, resizes it only when it is emptied, by its use since the last flush (doubled when
 * more than 70% of it was in use). A task alone on its engine may never be flushed, so a working
 * set of a few MiB missed on nearly every access, each miss a fill here plus, on the first store
 * to the page again, Unicorn's notdirty path (bench `bigmem`, docs/PERFORMANCE.md). So after
 * RW_GROW_FILLS fills since the last flush the hook empties the TLB before it answers: the
 * engine doubles it, and a task that keeps missing gets it doubled again after as many fills
 * more, until its working set fits (the fill counts stop growing) or, since a TLB cannot grow
 * past about RW_GROW_FILLS / 0.7 used entries, at 32768 entries (128 MiB). A task whose pages
 * fit never reaches the threshold between two flushes. QEMU's own callers of tlb_fill expect
 * it to resize the TLB (they look the entry up again after it), and the entry filled below goes
 * into the new table.
 *
 * The engine's page may be smaller than RW_PAGE: Unicorn's ARM64 CPU defaults to 1 KiB pages
 * (UnicornCpu sets 4 KiB through uc_ctl, since a 256-entry TLB of 1 KiB pages covered only
 * 256 KiB: docs/PERFORMANCE.md). Everything here (logging, the open set, the recorded fault)
 * works on the RW_PAGE-aligned page that holds vaddr, so that a transaction logs whole 4 KiB
 * pages whatever the engine's page; the entry itself maps the engine's page as asked.
 */
#include "rewind_native.h"

#define RW_MAXOPEN    64    /* writable pages remembered since the last flush */
#define RW_PRELOG     16    /* at most this many are logged up front at a transaction's start */
#define RW_REFRESH    32    /* transactions between two flushes at most */
#define RW_GROW_FILLS 16384 /* fills since the last flush that flush again, to grow the TLB */

struct rw_mmu_region {
	uint64_t vaddr; /* 0  */
	uint64_t size;  /* 8  */
	int32_t perms;  /* 16: UC_PROT_* */
	int32_t pad;    /* 20 */
};

struct rw_mmu {
	int32_t nregions;                       /* 0  */
	int32_t last;                           /* 4  */
	struct rw_mmu_region *regions;          /* 8: sorted by vaddr, not overlapping */
	struct rw_tx *tx;                       /* 16: the write tracker, or null */
	struct rw_trap *trap;                   /* 24: where refused accesses are recorded */
	int64_t fills;                          /* 32: fills served (statistics) */
	void *uc;                               /* 40: the engine */
	int (*ctl)(void *uc, int control, ...); /* 48: uc_ctl of the loaded library */
	int32_t nopen;                          /* 56: pages in open[] */
	int32_t open_unknown; /* 60: some writable entry may be missing from open[]: flush */
	int32_t begins;       /* 64: transactions begun since the last flush */
	int32_t pad2;         /* 68 */
	uint64_t open
	        [RW_MAXOPEN];   /* 72: data pages the TLB may hold writable since the last flush */
	int64_t fills_at_flush; /* 584: fills when the TLB was last emptied */
};

#define RW_CTL_TLB_FLUSH (11 | (1 << 30)) /* UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0) */

/* Empty the engine's TLB (there is no per-page flush): every page is filled again. */
void rw_mmu_flush(struct rw_mmu *m)
{
	m->ctl(m->uc, RW_CTL_TLB_FLUSH);
	m->fills_at_flush = m->fills;
	m->begins = 0;
	m->nopen = 0;
	m->open_unknown = 0;
}

/*
 * Begin a transaction on the tracker. No page the TLB holds writable may be written unlogged,
 * and Unicorn has no per-page flush. A server's requests mostly write the same few pages
 * (stack, IPC buffer, a few data pages), so instead of emptying the TLB (~0.5 us) and taking a
 * fill for every page touched again (~0.2 us each), the pages opened since the last flush are
 * logged now, up front, and stay writable: a copy of ~0.1 us each, and a rollback that puts
 * back a page the request did not write changes nothing. When that set is unknown (pages were
 * opened outside a transaction) or too large, the TLB is emptied instead.
 */
void rw_mmu_tx_begin(struct rw_mmu *m)
{
	struct rw_tx *tx = m->tx;
	tx->lastpage = ~(uint64_t)0;
	tx->active = 1;
	/* Every RW_REFRESH transactions the set is emptied anyway, so that a page written once
     * long ago is not logged at every request from then on. */
	if (m->open_unknown || m->nopen > RW_PRELOG || ++m->begins >= RW_REFRESH) {
		rw_mmu_flush(m);
		return;
	}
	for (int i = 0; i < m->nopen; i++)
		rw_log_page(tx, m->open[i]);
}

/* rw_mmu_tx_begin as a JNI method (NativeMmu.txBegin0; see run0 in traps.c): once a request. */
__attribute__((visibility("default"))) void
Java_dev_rewind_hw_unicorn_NativeMmu_txBegin0(void *env, void *cls, int64_t mmu)
{
	(void)env;
	(void)cls;
	rw_mmu_tx_begin((struct rw_mmu *)(intptr_t)mmu);
}

/* Note that the TLB may now hold page writable. */
static void rw_mmu_opened(struct rw_mmu *m, uint64_t page)
{
	if (!m->tx || !m->tx->active) {
		m->open_unknown = 1;
		return;
	}
	for (int i = 0; i < m->nopen; i++)
		if (m->open[i] == page)
			return;
	if (m->nopen < RW_MAXOPEN)
		m->open[m->nopen++] = page;
	else
		m->open_unknown = 1;
}

struct rw_tlb_entry {
	uint64_t paddr;
	int32_t perms;
};

static struct rw_mmu_region *rw_mmu_find(struct rw_mmu *m, uint64_t page)
{
	int i = rw_search(m->regions, m->nregions, sizeof(struct rw_mmu_region), &m->last, page);
	return i < 0 ? 0 : &m->regions[i];
}

/* 1 if the transaction logged page, 0 if not, -1 if the tracker does not cover it. */
static int rw_tx_logged(struct rw_tx *tx, uint64_t page)
{
	struct rw_region *r = rw_find(tx, page);
	if (!r)
		return -1;
	uint64_t idx = (page - r->vaddr) / RW_PAGE;
	return (r->dirty[idx >> 3] >> (idx & 7)) & 1;
}

bool rw_tlb_fill_hook(void *uc, uint64_t vaddr, int type, struct rw_tlb_entry *e, void *user)
{
	struct rw_mmu *m = user;
	(void)uc;
	m->fills++;
	if (m->fills - m->fills_at_flush > RW_GROW_FILLS)
		rw_mmu_flush(m);

	int need = type == 17 ? 2 : type == 18 ? 4 : 1;
	uint64_t page = vaddr & ~(uint64_t)(RW_PAGE - 1);
	struct rw_mmu_region *r = rw_mmu_find(m, vaddr);
	if (!r && type == 18) {
		/* A fetch from an unmapped page is let through to unassigned memory, where Unicorn ends
         * the run with UC_ERR_FETCH_UNMAPPED and the PC at the target (RiscvCpu reports it).
         * Refusing here would be wrong: Unicorn also probes pages it never executes from (the
         * page of a run's `until` address and the one before it, to drop translations). */
		e->paddr = vaddr;
		e->perms = 4;
		return true;
	}
	if (!r || !(r->perms & need)) {
		struct rw_trap *t = m->trap;
		if (t->mem_type == 0 && t->intno < 0) { /* the first trap of a run is the one */
			if (!r)
				t->mem_type = type + 3; /* *_UNMAPPED 19..21 */
			else
				t->mem_type = type == 17 ? 22 : type == 18 ? 24 : 23; /* *_PROT */
			t->mem_addr = (int64_t)page;
			t->mem_size = -1;
		}
		return false;
	}
	int32_t perms = r->perms;
	struct rw_tx *tx = m->tx;
	if (tx && tx->active && (perms & 2)) {
		if (type == 17)
			rw_log_page(tx, page); /* a full log marks the transaction overflowed */
		else if (rw_tx_logged(tx, page) == 0)
			perms &= ~2; /* the first store will come back here */
	}
	if (tx && (perms & 2))
		rw_mmu_opened(m, page);
	e->paddr = vaddr;
	e->perms = perms;
	return true;
}

int rw_mmu_size(void)
{
	return (int)sizeof(struct rw_mmu);
}
