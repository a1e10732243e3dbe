/* ---- write tracking for transactions (txipc) ------------------------------------------
 *
 * While a transaction is active, the write hook copies the pre-image of every page the
 * guest stores to, the first time in the transaction, into an undo log. Rollback copies the
 * pre-images back (newest first); commit keeps the new contents.
 *
 * The log is a ring of maxpages page slots, addressed by ever-growing slot numbers (slot s
 * lives at s % maxpages). The current transaction owns slots [cur, cur + npages), at most
 * maxtx of them (the ring may be larger, to keep a longer history). When a
 * history is wanted (maxhist > 0), a commit does not free its slots: the transaction joins
 * the history, the last nhist committed transactions, whose slots [head, cur) stay until the
 * ring needs them (the oldest transaction is evicted first) or maxhist is exceeded. Undoing
 * the newest n committed transactions after the current one is undone (rw_tx_undo_history)
 * puts memory back as it was before the first of them began: the kernel then replays their
 * requests. The page table is the address space's regions, each with a dirty bitmap, in a
 * table sorted by address that the Java side owns and grows (any number of regions; it is
 * changed only while the engine is stopped). Layout mirrored in NativeWriteTracker.java.
 */
#include "rewind_native.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The region holding page, or null. */
struct rw_region *rw_find(struct rw_tx *tx, uint64_t page)
{
	int i = rw_search(tx->regions, tx->nregions, sizeof(struct rw_region), &tx->last, page);
	return i < 0 ? 0 : &tx->regions[i];
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
int rw_log_page(struct rw_tx *tx, uint64_t page)
{
	struct rw_region *r = rw_find(tx, page);
	if (!r)
		return 0; /* not ours: the access itself will fault */
	uint64_t idx = (page - r->vaddr) / RW_PAGE;
	uint8_t bit = (uint8_t)(1u << (idx & 7));
	if (r->dirty[idx >> 3] & bit)
		return 1;
	if (tx->npages >= tx->maxtx) {
		tx->overflow = 1; /* the transaction's own limit, whatever room the ring has */
		return 0;
	}
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
			r->dirty[idx >> 3] &= (uint8_t) ~(1u << (idx & 7));
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
