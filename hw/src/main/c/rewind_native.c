/*
 * rewind_native: the few Unicorn hooks that must not cost a trip into Java.
 *
 * A JNA callback costs ~0.5-0.8 us; these hooks cost nanoseconds. They record what happened
 * in a small struct owned by the Java side (struct rw_trap, layout mirrored in
 * NativeHooks.java) and stop the engine, so the kernel handles every trap after
 * uc_emu_start has returned, on its own stack, with no Java frames under Unicorn's.
 *
 * This file includes no Unicorn header and links against no Unicorn library: the Java side
 * passes the address of uc_emu_stop from whichever libunicorn it loaded, so a newer
 * libunicorn.so.2 given by path works without rebuilding this.
 */
#include <stdint.h>
#include <stdbool.h>

typedef int (*uc_emu_stop_fn)(void *uc);

/* Written by the hooks, read by Java. Keep in sync with NativeHooks.java. */
struct rw_trap {
    int32_t intno;      /* last exception / ecall cause, -1 if none     (offset 0)  */
    int32_t mem_type;   /* uc_mem_type of the last invalid access, 0    (offset 4)  */
    int64_t mem_addr;   /* its address                                  (offset 8)  */
    int32_t mem_size;   /* its size                                     (offset 16) */
    int32_t pad;        /*                                              (offset 20) */
    uc_emu_stop_fn stop;/* uc_emu_stop of the loaded library            (offset 24) */
    int32_t preempt;    /* set by another thread: stop at the next block (offset 32) */
    int32_t preempted;  /* the block hook stopped the engine            (offset 36) */
    int64_t preempt_pc; /* the block it stopped at: the exact resume PC (offset 40) */
};

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

/* ---- write tracking for transactions (txipc) ------------------------------------------
 *
 * While a transaction is active, the write hook copies the pre-image of every page the
 * guest stores to, the first time in the transaction, into an undo log. Rollback copies the
 * pre-images back (newest first); commit keeps the new contents.
 *
 * The log is a ring of maxpages page slots, addressed by ever-growing slot numbers (slot s
 * lives at s % maxpages). The current transaction owns slots [cur, cur + npages). When a
 * history is wanted (maxhist > 0), a commit does not free its slots: the transaction joins
 * the history, the last nhist committed transactions, whose slots [head, cur) stay until the
 * ring needs them (the oldest transaction is evicted first) or maxhist is exceeded. Undoing
 * the newest n committed transactions after the current one is undone (rw_tx_undo_history)
 * puts memory back as it was before the first of them began: the kernel then replays their
 * requests. The page table is the address space's regions, each with a dirty bitmap, in a
 * table sorted by address that the Java side owns and grows (any number of regions; it is
 * changed only while the engine is stopped). Layout mirrored in NativeWriteTracker.java.
 */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define RW_PAGE 4096u

struct rw_region {
    uint64_t vaddr;     /* 0  */
    uint64_t size;      /* 8  */
    uint8_t *host;      /* 16 */
    uint8_t *dirty;     /* 24: one bit per page */
};

struct rw_tx {
    int32_t active;     /* 0  */
    int32_t overflow;   /* 4: a page could not be logged: the transaction cannot be undone */
    int32_t nregions;   /* 8  */
    int32_t npages;     /* 12: pages logged by the current transaction */
    int32_t maxpages;   /* 16: slots in the ring */
    int32_t last;       /* 20: index of the region that matched last */
    uint8_t *log;       /* 24: maxpages * RW_PAGE bytes of pre-images */
    uint64_t *logaddr;  /* 32: their page addresses */
    int64_t head;       /* 40: first slot of the oldest committed transaction kept */
    int64_t cur;        /* 48: first slot of the current (or next) transaction */
    int32_t nhist;      /* 56: committed transactions kept */
    int32_t maxhist;    /* 60: at most this many (0: none) */
    int64_t *hstart;    /* 64: their first slots, a ring of maxhist by commit number */
    int64_t ncommits;   /* 72: commits so far (minus those undone): indexes hstart */
    uint64_t lastpage;  /* 80: a page already logged in this transaction (~0: none), so that
                               a run of stores to one page costs one compare each */
    struct rw_region *regions; /* 88: nregions entries, sorted by vaddr, not overlapping */
};

/* The region holding page: the one that matched last, else a binary search. */
static struct rw_region *rw_find(struct rw_tx *tx, uint64_t page)
{
    if (tx->last < tx->nregions) {
        struct rw_region *r = &tx->regions[tx->last];
        if (page - r->vaddr < r->size)
            return r;
    }
    int lo = 0, hi = tx->nregions;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        struct rw_region *r = &tx->regions[mid];
        if (page < r->vaddr) {
            hi = mid;
        } else if (page - r->vaddr < r->size) {
            tx->last = mid;
            return r;
        } else {
            lo = mid + 1;
        }
    }
    return 0;
}

static uint8_t *rw_slot(struct rw_tx *tx, int64_t s)
{
    return tx->log + (size_t)(s % tx->maxpages) * RW_PAGE;
}

/*
 * Copy a page's pre-image into its log slot. With a history kept, the log is a ring the
 * size of the whole log and each slot is written long after it was last touched: a plain
 * copy would read every destination line into the cache first and push out the engine's own
 * working set (measured: +4 % on the kv workload). Non-temporal stores write around the cache;
 * a pre-image is read back only by a rollback or a replay.
 */
static void rw_copy_out(uint8_t *dst, const uint8_t *src)
{
#if defined(__SSE2__)
    if ((((uintptr_t)dst | (uintptr_t)src) & 15) == 0) {
        for (unsigned i = 0; i < RW_PAGE; i += 64) {
            __m128i a = _mm_load_si128((const __m128i *)(src + i));
            __m128i b = _mm_load_si128((const __m128i *)(src + i + 16));
            __m128i c = _mm_load_si128((const __m128i *)(src + i + 32));
            __m128i d = _mm_load_si128((const __m128i *)(src + i + 48));
            _mm_stream_si128((__m128i *)(dst + i), a);
            _mm_stream_si128((__m128i *)(dst + i + 16), b);
            _mm_stream_si128((__m128i *)(dst + i + 32), c);
            _mm_stream_si128((__m128i *)(dst + i + 48), d);
        }
        _mm_sfence();
        return;
    }
#endif
    memcpy(dst, src, RW_PAGE);
}

/* Forget the oldest committed transaction kept, freeing its slots. */
static void rw_evict_oldest(struct rw_tx *tx)
{
    tx->nhist--;
    tx->head = tx->nhist > 0 ? tx->hstart[(tx->ncommits - tx->nhist) % tx->maxhist] : tx->cur;
}

/* Log the page's pre-image unless it already is; returns 1 if it is logged now. */
static int rw_log_page(struct rw_tx *tx, uint64_t page)
{
    struct rw_region *r = rw_find(tx, page);
    if (!r)
        return 0; /* not ours: the access itself will fault */
    uint64_t idx = (page - r->vaddr) / RW_PAGE;
    uint8_t bit = (uint8_t)(1u << (idx & 7));
    if (r->dirty[idx >> 3] & bit)
        return 1;
    int64_t next = tx->cur + tx->npages;
    while (next - tx->head >= tx->maxpages && tx->nhist > 0)
        rw_evict_oldest(tx);
    if (next - tx->head >= tx->maxpages) {
        tx->overflow = 1;
        return 0;
    }
    r->dirty[idx >> 3] |= bit;
    if (tx->maxhist > 0 && tx->maxpages > 256)
        rw_copy_out(rw_slot(tx, next), r->host + (page - r->vaddr));
    else
        memcpy(rw_slot(tx, next), r->host + (page - r->vaddr), RW_PAGE);
    tx->logaddr[next % tx->maxpages] = page;
    tx->npages++;
    return 1;
}

/* UC_HOOK_MEM_WRITE: runs before every guest store of the tracked engine. */
void rw_write_hook(void *uc, int type, uint64_t address, int size, int64_t value, void *user)
{
    struct rw_tx *tx = user;
    (void)uc;
    (void)type;
    (void)value;
    if (!tx->active)
        return;
    uint64_t first = address & ~(uint64_t)(RW_PAGE - 1);
    uint64_t last = (address + (uint64_t)(size > 0 ? size - 1 : 0)) & ~(uint64_t)(RW_PAGE - 1);
    if (first == tx->lastpage && last == first)
        return;
    int ok = rw_log_page(tx, first);
    if (last != first)
        rw_log_page(tx, last);
    else if (ok)
        tx->lastpage = first;
}

/* Log [address, address+len) before the kernel itself writes there. */
void rw_tx_log_range(struct rw_tx *tx, uint64_t address, uint64_t len)
{
    if (!tx->active || len == 0)
        return;
    uint64_t page = address & ~(uint64_t)(RW_PAGE - 1);
    uint64_t end = address + len;
    for (; page < end; page += RW_PAGE)
        rw_log_page(tx, page);
}

/* Clear the dirty bits of the current transaction's pages and end it. */
static void rw_end(struct rw_tx *tx)
{
    for (int64_t s = tx->cur; s < tx->cur + tx->npages; s++) {
        uint64_t page = tx->logaddr[s % tx->maxpages];
        struct rw_region *r = rw_find(tx, page);
        if (r) {
            uint64_t idx = (page - r->vaddr) / RW_PAGE;
            r->dirty[idx >> 3] &= (uint8_t)~(1u << (idx & 7));
        }
    }
    tx->active = 0;
    tx->lastpage = ~(uint64_t)0;
}

/* Forget every committed transaction kept. */
void rw_tx_drop_history(struct rw_tx *tx)
{
    tx->nhist = 0;
    tx->head = tx->cur;
}

/* With nothing kept, start the ring over, so that a server that keeps no history logs into
 * the same few (cache-hot) slots every time. */
static void rw_rewind_if_empty(struct rw_tx *tx)
{
    if (tx->nhist == 0 && tx->npages == 0)
        tx->head = tx->cur = 0;
}

/* Commit: keep the new contents; keep the pre-images as history if it is wanted. */
void rw_tx_commit(struct rw_tx *tx)
{
    rw_end(tx);
    if (tx->overflow || tx->maxhist <= 0) {
        /* without a complete log this transaction cannot be undone, nor any before it */
        tx->cur += tx->npages;
        rw_tx_drop_history(tx);
    } else {
        if (tx->nhist == tx->maxhist)
            rw_evict_oldest(tx);
        tx->hstart[tx->ncommits % tx->maxhist] = tx->cur;
        tx->ncommits++;
        tx->nhist++;
        tx->cur += tx->npages;
        if (tx->nhist == 1)
            tx->head = tx->hstart[(tx->ncommits - 1) % tx->maxhist];
    }
    tx->npages = 0;
    tx->overflow = 0;
    rw_rewind_if_empty(tx);
}

/* Put back slots [from, to), newest first. */
static void rw_restore(struct rw_tx *tx, int64_t from, int64_t to)
{
    for (int64_t s = to - 1; s >= from; s--) {
        uint64_t page = tx->logaddr[s % tx->maxpages];
        struct rw_region *r = rw_find(tx, page);
        if (r)
            memcpy(r->host + (page - r->vaddr), rw_slot(tx, s), RW_PAGE);
    }
}

/* Abort: put every page the current transaction logged back. Returns the pages restored. */
int rw_tx_rollback(struct rw_tx *tx)
{
    int n = tx->npages;
    rw_restore(tx, tx->cur, tx->cur + n);
    rw_end(tx);
    tx->npages = 0;
    tx->overflow = 0;
    rw_rewind_if_empty(tx);
    return n;
}

/*
 * With no transaction open, undo the newest n committed transactions kept (all of them if
 * n exceeds nhist), newest first. Returns the pages restored, or -1 if a transaction is open.
 */
int rw_tx_undo_history(struct rw_tx *tx, int32_t n)
{
    if (tx->active || tx->npages != 0)
        return -1;
    if (n > tx->nhist)
        n = tx->nhist;
    if (n <= 0)
        return 0;
    int64_t from = tx->hstart[(tx->ncommits - n) % tx->maxhist];
    int pages = (int)(tx->cur - from);
    rw_restore(tx, from, tx->cur);
    tx->cur = from;
    tx->ncommits -= n;
    tx->nhist -= n;
    if (tx->nhist == 0)
        tx->head = tx->cur;
    return pages;
}

int rw_tx_size(void)
{
    return (int)sizeof(struct rw_tx);
}

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
 */
#define RW_MAXOPEN 64 /* writable pages remembered since the last flush */
#define RW_PRELOG 16  /* at most this many are logged up front at a transaction's start */
#define RW_REFRESH 32 /* transactions between two flushes at most */

struct rw_mmu_region {
    uint64_t vaddr;     /* 0  */
    uint64_t size;      /* 8  */
    int32_t perms;      /* 16: UC_PROT_* */
    int32_t pad;        /* 20 */
};

struct rw_mmu {
    int32_t nregions;   /* 0  */
    int32_t last;       /* 4  */
    struct rw_mmu_region *regions; /* 8: sorted by vaddr, not overlapping */
    struct rw_tx *tx;   /* 16: the write tracker, or null */
    struct rw_trap *trap; /* 24: where refused accesses are recorded */
    int64_t fills;      /* 32: fills served (statistics) */
    void *uc;           /* 40: the engine */
    int (*ctl)(void *uc, int control, ...); /* 48: uc_ctl of the loaded library */
    int32_t nopen;      /* 56: pages in open[] */
    int32_t open_unknown; /* 60: some writable entry may be missing from open[]: flush */
    int32_t begins;     /* 64: transactions begun since the last flush */
    int32_t pad2;       /* 68 */
    uint64_t open[RW_MAXOPEN]; /* 72: data pages the TLB may hold writable since the last flush */
};

#define RW_CTL_TLB_FLUSH (11 | (1 << 30)) /* UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0) */

/* Empty the engine's TLB (there is no per-page flush): every page is filled again. */
void rw_mmu_flush(struct rw_mmu *m)
{
    m->ctl(m->uc, RW_CTL_TLB_FLUSH);
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
    if (m->last < m->nregions) {
        struct rw_mmu_region *r = &m->regions[m->last];
        if (page - r->vaddr < r->size)
            return r;
    }
    int lo = 0, hi = m->nregions;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        struct rw_mmu_region *r = &m->regions[mid];
        if (page < r->vaddr) {
            hi = mid;
        } else if (page - r->vaddr < r->size) {
            m->last = mid;
            return r;
        } else {
            lo = mid + 1;
        }
    }
    return 0;
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

    int need = type == 17 ? 2 : type == 18 ? 4 : 1;
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
        if (t->mem_type == 0 && t->intno < 0) {   /* the first trap of a run is the one */
            if (!r)
                t->mem_type = type + 3;                                 /* *_UNMAPPED 19..21 */
            else
                t->mem_type = type == 17 ? 22 : type == 18 ? 24 : 23;   /* *_PROT */
            t->mem_addr = (int64_t)vaddr;
            t->mem_size = -1;
        }
        return false;
    }
    int32_t perms = r->perms;
    struct rw_tx *tx = m->tx;
    if (tx && tx->active && (perms & 2)) {
        if (type == 17)
            rw_log_page(tx, vaddr);   /* a full log marks the transaction overflowed */
        else if (rw_tx_logged(tx, vaddr) == 0)
            perms &= ~2;              /* the first store will come back here */
    }
    if (tx && (perms & 2))
        rw_mmu_opened(m, vaddr);
    e->paddr = vaddr;
    e->perms = perms;
    return true;
}

int rw_mmu_size(void)
{
    return (int)sizeof(struct rw_mmu);
}
