/* ---- write tracking for transactions (txipc) ------------------------------------------
 *
 * While a transaction is active, the first store to each page (seen by the MMU's fill hook,
 * mmu.c, or on Unicorn 2.0.1 by the store hook below) copies the page's pre-image into the
 * staging log: maxtx page slots, used from slot 0 by every transaction, so the copies stay in
 * the cache. Rollback copies the pre-images back (newest first); commit keeps the new
 * contents.
 *
 * When a history is wanted (maxhist > 0), a commit keeps what the transaction changed: each
 * logged page is compared with its pre-image and only the runs of words that differ are
 * appended, with their old bytes, to dlog, a ring of undo records. (A whole page copied into
 * a ring of thousands of slots went to memory, not the cache, at every first store: measured,
 * two thirds of what the history cost the kv workload.) Records:
 *   { page, 0 }                      a page the transaction changed (or its whole record, below)
 *   { vaddr, len } + len old bytes   a run of changed bytes within that page (len % 8 == 0)
 *   { page | RW_ZERO, 0 }            zero the page (a whole record: its non-zero runs follow)
 *   { vaddr | RW_ZRUN, len }         a run whose old bytes are all zero (no bytes follow)
 * each header two uint64_t, positions ever-growing (record at pos % dcap, split at the end).
 *
 * Runs alone undo what transactions wrote, but not a change made outside any transaction (a
 * bit flipped in memory between requests): only a whole pre-image taken before the flip puts
 * that back. So a page's record is its whole pre-image (a { page | RW_ZERO, 0 } record that
 * zeroes the page, then runs of its non-zero words) when the
 * page has no such record among the kept transactions or its last one is keyevery commits
 * old: undoing the history back past a page's whole record restores all of it, as a ring of
 * whole pages always did (ReplayEvidence finds that depth: a flipped word differs from the
 * whole pre-image older than the flip). keyevery = 1 keeps whole pages only (the scrub,
 * which undoes exactly to the newest transaction that wrote a page, needs that).
 * A scratch region (the IPC buffer, which the kernel fills before each request) is logged
 * and rolled back like any other, but kept in neither the history nor the committed copy.
 * The last nhist committed transactions are kept, the oldest evicted first when the ring is
 * full or maxhist is exceeded. Undoing the newest n (rw_tx_undo_history) puts their old bytes
 * back, newest first: memory is as it was before the first of them began, and the kernel then
 * replays their requests. The page table is the address space's regions, each with a dirty
 * bitmap, in a table sorted by address that the Java side owns and grows (any number of
 * regions; it is changed only while the engine is stopped). Layout mirrored in
 * NativeWriteTracker.java.
 *
 * The committed copy (copyok, each writable region's copy): memory as the last commit left it,
 * kept so that a change made outside any transaction (a bit flipped in memory between
 * requests) can be found and put back after a rollback (rw_tx_copy_heal), in a page that no
 * kept transaction wrote too, where the history has nothing older to put back. A commit
 * writes into the copy only the words its transaction changed (those that differ from their
 * pre-image), so a flip the transaction left alone stays out of the copy; an undo of the
 * history puts the same old bytes into the copy as into memory. What the copy cannot see
 * (stores outside a transaction) clears copyok; the pages an overflowed transaction wrote
 * without logging them are still marked, and its commit copies them whole (rw_unlogged); the Java side has
 * rw_tx_copy_sync copy memory over before a later transaction begins (NativeWriteTracker).
 * While the copy is valid, a page logged that matches its copy (as each does unless something
 * changed it between transactions) is not copied into the staging log: its copy is its
 * pre-image (rw_tx.pre names which), unchanged until the commit, which keeps the undo records
 * before it writes the changes into the copy; nothing writes a copy while a transaction has
 * pages logged. A page that differs from its copy is copied as before, and the check before
 * the reply (rw_tx_copy_check) names it.
 */
#include "rewind_native.h"

#include <stdlib.h>
#include <string.h>

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

/* The pre-image of staging slot s: the slot's own copy, or the page's committed copy (rw_log_page). */
static const uint64_t *rw_pre(struct rw_tx *tx, int64_t s)
{
	return (const uint64_t *)tx->pre[s % tx->maxpages];
}

/* ---- the history ring ---- */

/* Copy n bytes to ring position pos. */
static void rw_dput(struct rw_tx *tx, int64_t pos, const void *src, size_t n)
{
	size_t at = (size_t)(pos % tx->dcap);
	size_t first = n < (size_t)tx->dcap - at ? n : (size_t)tx->dcap - at;
	memcpy(tx->dlog + at, src, first);
	if (first < n)
		memcpy(tx->dlog, (const uint8_t *)src + first, n - first);
}

/* Copy n bytes from ring position pos. */
static void rw_dget(struct rw_tx *tx, int64_t pos, void *dst, size_t n)
{
	size_t at = (size_t)(pos % tx->dcap);
	size_t first = n < (size_t)tx->dcap - at ? n : (size_t)tx->dcap - at;
	memcpy(dst, tx->dlog + at, first);
	if (first < n)
		memcpy((uint8_t *)dst + first, tx->dlog, n - first);
}

/* First record of kept committed transaction back (0: the newest) and the position past its last. */
static int rw_hist_span(struct rw_tx *tx, int32_t back, int64_t *from, int64_t *to)
{
	if (back < 0 || back >= tx->nhist)
		return 0;
	int64_t c = tx->ncommits - 1 - back;
	*from = tx->hstart[c % tx->maxhist];
	*to = back == 0 ? tx->dend : tx->hstart[(c + 1) % tx->maxhist];
	return 1;
}

/* Forget the oldest committed transaction kept, freeing its records. */
static void rw_evict_oldest(struct rw_tx *tx)
{
	tx->nhist--;
	if (tx->nhist > 0)
		tx->dhead = tx->hstart[(tx->ncommits - tx->nhist) % tx->maxhist];
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
	if (tx->npages >= tx->maxtx || tx->npages >= tx->maxpages) {
		/* the transaction's own limit: it cannot be undone from the log. The page is marked
		 * written all the same (not logged: no slot names it), so that the commit can take it
		 * into the committed copy and the rollback leave it to the copy (rw_unlogged) */
		tx->overflow = 1;
		r->dirty[idx >> 3] |= bit;
		return 0;
	}
	int64_t next = tx->cur + tx->npages;
	r->dirty[idx >> 3] |= bit;
	const uint8_t *now = r->host + (page - r->vaddr);
	uint8_t *copy = r->copy ? r->copy + (page - r->vaddr) : 0;
	uint8_t *pre = rw_slot(tx, next);
	/* as the last commit left it: its copy is its pre-image */
	if (tx->copyok && copy && !r->scratch && memcmp(now, copy, RW_PAGE) == 0)
		pre = copy;
	else
		memcpy(pre, now, RW_PAGE);
	tx->pre[next % tx->maxpages] = pre;
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
	tx->dhead = tx->dend = 0;
}

/* The staging log is empty: the next transaction logs from slot 0 (cache-hot) again. */
static void rw_staging_empty(struct rw_tx *tx)
{
	tx->npages = 0;
	tx->overflow = 0;
	tx->head = tx->cur = 0;
}

/*
 * After rw_end of a transaction that overflowed its log: the pages still marked written are
 * those it wrote without logging them. Unmark them; on a commit (keep), copy each whole into
 * the committed copy, which then stays valid (a page the transaction did not write keeps its
 * copy, so a bit flipped there meanwhile can still be put back); without a copy of a region
 * to write into, the copy is no longer valid.
 */
static void rw_unlogged(struct rw_tx *tx, int keep)
{
	for (int32_t i = 0; i < tx->nregions; i++) {
		struct rw_region *r = &tx->regions[i];
		uint64_t pages = r->size / RW_PAGE;
		for (uint64_t b = 0; b < (pages + 7) / 8; b++) {
			if (!r->dirty[b])
				continue;
			for (int j = 0; j < 8; j++) {
				if (!(r->dirty[b] & (1u << j)))
					continue;
				uint64_t off = (b * 8 + (uint64_t)j) * RW_PAGE;
				if (keep && tx->copyok) {
					if (r->copy && !r->scratch)
						memcpy(r->copy + off, r->host + off, RW_PAGE);
					else if (!r->scratch)
						tx->copyok = 0;
				}
			}
			r->dirty[b] = 0;
		}
	}
}

/*
 * Append n bytes (a record, n % 8 == 0) for the transaction being committed, whose records
 * begin at start: evict the oldest kept transactions for room. 0 if it does not fit even so.
 */
static int rw_append(struct rw_tx *tx, int64_t start, const void *rec, size_t n, const void *bytes,
                     size_t len)
{
	while (tx->dend + (int64_t)(n + len) - (tx->nhist > 0 ? tx->dhead : start) > tx->dcap) {
		if (tx->nhist == 0)
			return 0;
		rw_evict_oldest(tx);
	}
	rw_dput(tx, tx->dend, rec, n);
	if (len)
		rw_dput(tx, tx->dend + (int64_t)n, bytes, len);
	tx->dend += (int64_t)(n + len);
	return 1;
}

/*
 * A record { page | RW_ZERO, 0 } zeroes the page (what follows it in the same transaction's
 * records puts back the page's non-zero words): the start of a whole pre-image. Pages are
 * aligned, so the bit is free; it is no page marker.
 */
#define RW_ZERO 1u
/* { vaddr | RW_ZRUN, len }, no bytes: a run whose old bytes are zero (vaddr is 8-aligned). */
#define RW_ZRUN 2u
static const uint64_t rw_zero_page[RW_PAGE / 8];

/* Words of a page: 512 uint64_t. Runs of differing words closer than this are merged. */
#define RW_WORDS (RW_PAGE / 8)
#define RW_GAP   2
#define RW_CHUNK 64 /* words compared at once before a word-by-word look */

/*
 * Append the undo record of words [from, to) of page, with their old bytes from pre; old bytes
 * that are all zero (a write into fresh memory: a new heap block) as a zeroing run, without them.
 */
static int rw_keep_run(struct rw_tx *tx, int64_t start, uint64_t page, const uint64_t *pre,
                       unsigned from, unsigned to)
{
	uint64_t rec[2] = { page + 8 * (uint64_t)from, 8 * (uint64_t)(to - from) };
	uint64_t any = 0;
	for (unsigned j = from; j < to; j++)
		any |= pre[j];
	if (!any) {
		rec[0] |= RW_ZRUN;
		return rw_append(tx, start, rec, sizeof rec, 0, 0);
	}
	return rw_append(tx, start, rec, sizeof rec, pre + from, rec[1]);
}

/*
 * Which words of a page differ between pre and now, as a bitmap (diff[c] bit k: word
 * c * RW_CHUNK + k): 512-byte chunks left as they were (most of a page a request wrote) are
 * skipped at memcmp's speed, the others compared word by word without branches. Returns
 * nonzero if any word differs.
 */
static int rw_diff(const uint64_t *pre, const uint64_t *now, uint64_t *diff)
{
	uint64_t any = 0;
	for (unsigned c = 0; c < RW_WORDS / RW_CHUNK; c++) {
		const uint64_t *p = pre + c * RW_CHUNK, *q = now + c * RW_CHUNK;
		uint64_t m = 0;
		if (memcmp(p, q, 8 * RW_CHUNK) != 0)
			for (unsigned k = 0; k < RW_CHUNK; k++)
				m |= (uint64_t)(p[k] != q[k]) << k;
		diff[c] = m;
		any |= m;
	}
	return any != 0;
}

/* Write the words diff marks from now into the committed copy of their page. */
static void rw_copy_apply(uint64_t *copy, const uint64_t *now, const uint64_t *diff)
{
	for (unsigned c = 0; c < RW_WORDS / RW_CHUNK; c++)
		for (uint64_t m = diff[c]; m; m &= m - 1) {
			unsigned j = c * RW_CHUNK + (unsigned)__builtin_ctzll(m);
			copy[j] = now[j];
		}
}

/*
 * Append the undo records of one logged page: its marker, then each run of words that now
 * differ from the pre-image, with the old bytes. diff: rw_diff's bitmap of the page, or null
 * if not computed yet. 0 if the ring has no room.
 */
static int rw_keep_page(struct rw_tx *tx, int64_t start, struct rw_region *r, uint64_t page,
                        const uint64_t *pre, const uint64_t *now, const uint64_t *diff)
{
	int64_t *keyed = &r->keyed[(page - r->vaddr) / RW_PAGE];
	int64_t last = *keyed - 1; /* commit number of its last whole record, -1: none */
	int64_t oldest = tx->ncommits - tx->nhist; /* the oldest commit kept (before this one) */
	int whole = last < oldest || last >= tx->ncommits || tx->ncommits - last >= tx->keyevery;
	uint64_t own[RW_WORDS / RW_CHUNK];
	if (!whole && !diff) {
		rw_diff(pre, now, own);
		diff = own;
	}
	/* A page logged but left as it was (most are: the MMU logs the pages a server wrote in
	 * recent requests up front) has nothing to undo: no record, unless its whole record is due. */
	if (!whole) {
		uint64_t any = 0;
		for (unsigned c = 0; c < RW_WORDS / RW_CHUNK; c++)
			any |= diff[c];
		if (!any)
			return 1;
	}
	uint64_t rec[2] = { page, 0 };
	if (!rw_append(tx, start, rec, sizeof rec, 0, 0))
		return 0;
	if (whole) {
		/* The whole pre-image, as a zeroing of the page and then its non-zero words: a page
		 * the request found empty (fresh heap) or sparse costs a few words, not 4 KiB. */
		rec[0] = page | RW_ZERO;
		if (!rw_append(tx, start, rec, sizeof rec, 0, 0))
			return 0;
		*keyed = tx->ncommits + 1; /* (this commit's number, once it is made) */
		rw_diff(rw_zero_page, pre, own);
		diff = own;
	}
	/* The runs, from the differing words' bits, with gaps under RW_GAP words merged. */
	unsigned from = 0, to = 0; /* the run being built: [from, to), empty if to == 0 */
	for (unsigned c = 0; c < RW_WORDS / RW_CHUNK; c++) {
		for (uint64_t m = diff[c]; m; m &= m - 1) {
			unsigned j = c * RW_CHUNK + (unsigned)__builtin_ctzll(m);
			if (to != 0 && j - to < RW_GAP) {
				to = j + 1; /* another differing word close by: one run */
				continue;
			}
			if (to != 0 && !rw_keep_run(tx, start, page, pre, from, to))
				return 0;
			from = j;
			to = j + 1;
		}
	}
	if (to != 0 && !rw_keep_run(tx, start, page, pre, from, to))
		return 0;
	return 1;
}

/*
 * Commit: keep the new contents; keep what it changed as history if that is wanted, and write
 * it into the committed copy if one is kept.
 */
void rw_tx_commit(struct rw_tx *tx)
{
	rw_end(tx);
	if (tx->overflow)
		rw_unlogged(tx, 1); /* the pages written unlogged go into the copy whole */
	int hist = !tx->overflow && tx->maxhist > 0 && tx->dcap > 0;
	if (!hist) {
		/* without a complete log this transaction cannot be undone, nor any before it */
		rw_tx_drop_history(tx);
	} else {
		if (tx->nhist == 0)
			tx->dhead = tx->dend = 0;
		if (tx->nhist == tx->maxhist)
			rw_evict_oldest(tx);
	}
	if (hist || tx->copyok) {
		int64_t start = tx->dend;
		int ok = hist;
		for (int64_t s = tx->cur; s < tx->cur + tx->npages; s++) {
			uint64_t page = tx->logaddr[s % tx->maxpages];
			struct rw_region *r = rw_find(tx, page);
			if (!r || r->scratch)
				continue;
			const uint64_t *pre = rw_pre(tx, s);
			const uint64_t *now = (const uint64_t *)(r->host + (page - r->vaddr));
			const uint64_t *known = 0;
			uint64_t diff[RW_WORDS / RW_CHUNK];
			int changed = 0;
			if (tx->copyok && r->copy) {
				changed = rw_diff(pre, now, diff);
				known = diff;
			}
			/* the undo records first: the pre-image may be the copy that the changes go into */
			if (ok)
				ok = rw_keep_page(tx, start, r, page, pre, now, known);
			if (changed)
				rw_copy_apply((uint64_t *)(r->copy + (page - r->vaddr)), now, diff);
		}
		if (hist && !ok) {
			rw_tx_drop_history(tx); /* larger than the whole ring */
		} else if (hist) {
			tx->hstart[tx->ncommits % tx->maxhist] = start;
			tx->ncommits++;
			tx->nhist++;
			if (tx->nhist == 1)
				tx->dhead = start;
		}
	}
	rw_staging_empty(tx);
}

/* rw_tx_commit as a JNI method (NativeWriteTracker.commit0; see run0 in traps.c): once a request. */
__attribute__((visibility("default"))) void
Java_dev_rewind_hw_unicorn_NativeWriteTracker_commit0(void *env, void *cls, int64_t tx)
{
	(void)env;
	(void)cls;
	rw_tx_commit((struct rw_tx *)(intptr_t)tx);
}

/*
 * While a transaction is open, with the committed copy valid: the first logged page whose
 * pre-image (the page as the transaction found it) differs from its copy (the page as the last
 * commit left it), or -1. Such a page changed between transactions (a bit flipped in memory),
 * and the transaction may have read the change: its commit would take the change into the copy
 * wherever it rewrote the changed words.
 */
int64_t rw_tx_copy_check(struct rw_tx *tx)
{
	if (!tx->copyok)
		return -1;
	for (int64_t s = tx->cur; s < tx->cur + tx->npages; s++) {
		uint64_t page = tx->logaddr[s % tx->maxpages];
		struct rw_region *r = rw_find(tx, page);
		if (!r || r->scratch || !r->copy)
			continue;
		const uint8_t *copy = r->copy + (page - r->vaddr);
		const uint8_t *pre = (const uint8_t *)rw_pre(tx, s);
		/* (a pre-image that is the copy itself matched it when it was logged) */
		if (pre != copy && memcmp(pre, copy, RW_PAGE) != 0)
			return (int64_t)page;
	}
	return -1;
}

/* rw_tx_copy_check as a JNI method (NativeWriteTracker.copyCheck0): before each reply. */
__attribute__((visibility("default"))) int64_t
Java_dev_rewind_hw_unicorn_NativeWriteTracker_copyCheck0(void *env, void *cls, int64_t tx)
{
	(void)env;
	(void)cls;
	return rw_tx_copy_check((struct rw_tx *)(intptr_t)tx);
}

/*
 * A 64-bit hash of the words diff marks (which differ from the pre-image), with their places:
 * two runs from the same pre-state left a page alike exactly when these agree, and a request
 * changes a few words of a page, so this costs about rw_diff's compare.
 */
static uint64_t rw_changed_hash(const uint64_t *now, const uint64_t *diff)
{
	const uint64_t p1 = 0x9e3779b185ebca87ull, p2 = 0xc2b2ae3d27d4eb4full;
	uint64_t h = p1;
	for (unsigned c = 0; c < RW_WORDS / RW_CHUNK; c++) {
		for (uint64_t m = diff[c]; m; m &= m - 1) {
			unsigned w = c * RW_CHUNK + (unsigned)__builtin_ctzll(m);
			uint64_t x = h ^ (now[w] * p2 + w);
			h = ((x << 27) | (x >> 37)) * p1;
		}
	}
	h ^= h >> 29;
	return h * p2;
}

/*
 * While a transaction is open: the pages it logged that now differ from their pre-images, each
 * with a hash of the words that differ and their places (rw_changed_hash), as out[2k] = page,
 * out[2k + 1] = hash, in the order they were logged. Returns how many, or -1 if there are more
 * than max. Two runs of one request from the same pre-state changed memory alike exactly when
 * their lists are equal (txipc's verify): a page logged and left as it was is in neither.
 */
int rw_tx_changed(struct rw_tx *tx, uint64_t *out, int32_t max)
{
	int32_t n = 0;
	for (int64_t s = tx->cur; s < tx->cur + tx->npages; s++) {
		uint64_t page = tx->logaddr[s % tx->maxpages];
		struct rw_region *r = rw_find(tx, page);
		if (!r)
			continue;
		const uint64_t *now = (const uint64_t *)(r->host + (page - r->vaddr));
		uint64_t diff[RW_WORDS / RW_CHUNK];
		if (!rw_diff(rw_pre(tx, s), now, diff))
			continue;
		if (n >= max)
			return -1;
		out[2 * n] = page;
		out[2 * n + 1] = rw_changed_hash(now, diff);
		n++;
	}
	return n;
}

/* rw_tx_changed as a JNI method (NativeWriteTracker.changed0): twice a verified request. */
__attribute__((visibility("default"))) int32_t
Java_dev_rewind_hw_unicorn_NativeWriteTracker_changed0(void *env, void *cls, int64_t tx,
                                                       int64_t out, int32_t max)
{
	(void)env;
	(void)cls;
	return rw_tx_changed((struct rw_tx *)(intptr_t)tx, (uint64_t *)(intptr_t)out, max);
}

/* Put back staging slots [from, to), newest first. */
static void rw_restore(struct rw_tx *tx, int64_t from, int64_t to)
{
	for (int64_t s = to - 1; s >= from; s--) {
		uint64_t page = tx->logaddr[s % tx->maxpages];
		struct rw_region *r = rw_find(tx, page);
		if (r)
			memcpy(r->host + (page - r->vaddr), rw_pre(tx, s), RW_PAGE);
	}
}

/* Abort: put every page the current transaction logged back. Returns the pages restored. */
int rw_tx_rollback(struct rw_tx *tx)
{
	int n = tx->npages;
	rw_restore(tx, tx->cur, tx->cur + n);
	rw_end(tx);
	if (tx->overflow)
		rw_unlogged(
		        tx,
		        0); /* (what they held is in the copy, if it is valid: rw_tx_copy_heal) */
	rw_staging_empty(tx);
	return n;
}

/* What rw_walk does with each run of old bytes it meets. */
enum rw_walk_mode {
	RW_COUNT,   /* nothing: count page markers (and look for one) */
	RW_RESTORE, /* put the old bytes back into guest memory */
	RW_READ     /* copy the part within [lo, hi) into dst (dst[0] is lo) */
};

/*
 * Walk the records in [from, to) as mode says. Returns the page markers seen; if seen is not
 * null, sets *seen when a marker for page want is among them.
 */
static int rw_walk(struct rw_tx *tx, int64_t from, int64_t to, enum rw_walk_mode mode, uint64_t lo,
                   uint64_t hi, uint8_t *dst, uint64_t want, int *seen)
{
	int pages = 0;
	uint64_t rec[2];
	for (int64_t pos = from; pos < to;) {
		rw_dget(tx, pos, rec, sizeof rec);
		pos += (int64_t)sizeof rec;
		uint64_t a = rec[0], len = rec[1];
		if (len == 0 && (a & RW_ZERO)) {
			uint64_t page = a & ~(uint64_t)(RW_PAGE - 1);
			if (mode == RW_RESTORE) {
				struct rw_region *r = rw_find(tx, page);
				if (r) {
					memset(r->host + (page - r->vaddr), 0, RW_PAGE);
					if (tx->copyok && r->copy)
						memset(r->copy + (page - r->vaddr), 0, RW_PAGE);
				}
			} else if (mode == RW_READ) {
				uint64_t x = page > lo ? page : lo,
				         y = page + RW_PAGE < hi ? page + RW_PAGE : hi;
				if (x < y)
					memset(dst + (x - lo), 0, (size_t)(y - x));
			}
			continue;
		}
		if (len == 0) {
			pages++;
			if (seen && a == want)
				*seen = 1;
			continue;
		}
		if (a & RW_ZRUN) {
			a &= ~(uint64_t)RW_ZRUN;
			if (mode == RW_RESTORE) {
				struct rw_region *r = rw_find(tx, a & ~(uint64_t)(RW_PAGE - 1));
				if (r) {
					memset(r->host + (a - r->vaddr), 0, (size_t)len);
					if (tx->copyok && r->copy)
						memset(r->copy + (a - r->vaddr), 0, (size_t)len);
				}
			} else if (mode == RW_READ) {
				uint64_t b = a + len;
				uint64_t x = a > lo ? a : lo, y = b < hi ? b : hi;
				if (x < y)
					memset(dst + (x - lo), 0, (size_t)(y - x));
			}
			continue; /* (no bytes follow) */
		}
		if (mode == RW_RESTORE) {
			struct rw_region *r = rw_find(tx, a & ~(uint64_t)(RW_PAGE - 1));
			if (r) {
				rw_dget(tx, pos, r->host + (a - r->vaddr), (size_t)len);
				if (tx->copyok && r->copy) /* the copy goes back with memory */
					rw_dget(tx, pos, r->copy + (a - r->vaddr), (size_t)len);
			}
		} else if (mode == RW_READ) {
			uint64_t b = a + len;
			uint64_t x = a > lo ? a : lo, y = b < hi ? b : hi;
			if (x < y)
				rw_dget(tx, pos + (int64_t)(x - a), dst + (x - lo),
				        (size_t)(y - x));
		}
		pos += (int64_t)len;
	}
	return pages;
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
	int pages = 0;
	int64_t from = 0, to = 0;
	for (int32_t back = 0; back < n; back++) {
		rw_hist_span(tx, back, &from, &to);
		pages += rw_walk(tx, from, to, RW_RESTORE, 0, 0, 0, 0, 0);
	}
	tx->dend = from;
	tx->ncommits -= n;
	tx->nhist -= n;
	if (tx->nhist == 0)
		tx->dhead = tx->dend = 0;
	return pages;
}

/* The pages kept transaction back changed (or kept whole), in logging order, up to max into out; -1 if none such. */
int rw_tx_hist_pages(struct rw_tx *tx, int32_t back, uint64_t *out, int32_t max)
{
	int64_t from, to;
	if (!rw_hist_span(tx, back, &from, &to))
		return -1;
	int n = 0;
	uint64_t rec[2];
	for (int64_t pos = from; pos < to;) {
		rw_dget(tx, pos, rec, sizeof rec);
		pos += (int64_t)sizeof rec;
		if (rec[1] == 0 && !(rec[0] & RW_ZERO)) {
			if (n < max)
				out[n] = rec[0];
			n++;
		}
		if (!(rec[0] & RW_ZRUN))
			pos += (int64_t)rec[1];
	}
	return n;
}

/*
 * Copy [vaddr, vaddr+len) (within one page) as it was before kept transaction back wrote it:
 * today's bytes with the old bytes of transactions 0..back put back over them, newest first.
 * 0 if that transaction did not log the page (or there is no such transaction).
 */
int rw_tx_hist_read(struct rw_tx *tx, int32_t back, uint64_t vaddr, uint8_t *dst, int32_t len)
{
	uint64_t page = vaddr & ~(uint64_t)(RW_PAGE - 1);
	int64_t from, to;
	if (len < 0 || (vaddr - page) + (uint64_t)len > RW_PAGE ||
	    !rw_hist_span(tx, back, &from, &to))
		return 0;
	int seen = 0;
	rw_walk(tx, from, to, RW_COUNT, 0, 0, 0, page, &seen);
	if (!seen)
		return 0;
	struct rw_region *r = rw_find(tx, page);
	if (!r)
		return 0;
	memcpy(dst, r->host + (vaddr - r->vaddr), (size_t)len);
	for (int32_t b = 0; b <= back; b++) {
		rw_hist_span(tx, b, &from, &to);
		rw_walk(tx, from, to, RW_READ, vaddr, vaddr + (uint64_t)len, dst, 0, 0);
	}
	return 1;
}

/* What rw_copy_pass does with a page that differs from its copy. */
enum rw_copy_mode {
	RW_COPY_COMPARE, /* nothing: name and count it */
	RW_COPY_HEAL,    /* put the copy back into memory */
	RW_COPY_SYNC     /* take memory into the copy */
};

/*
 * Every page of the copied regions whose memory differs from its copy, as mode says; up to
 * max of them named in out. Returns how many differed.
 */
static int rw_copy_pass(struct rw_tx *tx, enum rw_copy_mode mode, uint64_t *out, int32_t max)
{
	int n = 0;
	for (int32_t i = 0; i < tx->nregions; i++) {
		struct rw_region *r = &tx->regions[i];
		if (!r->copy)
			continue;
		for (uint64_t off = 0; off < r->size; off += RW_PAGE) {
			if (memcmp(r->host + off, r->copy + off, RW_PAGE) == 0)
				continue;
			if (n < max)
				out[n] = r->vaddr + off;
			n++;
			if (mode == RW_COPY_HEAL)
				memcpy(r->host + off, r->copy + off, RW_PAGE);
			else if (mode == RW_COPY_SYNC)
				memcpy(r->copy + off, r->host + off, RW_PAGE);
		}
	}
	return n;
}

/*
 * Copy memory over the committed copy where they differ (memory is taken as correct: the
 * guest ran outside a transaction, or the copy was just made); the copy holds memory from now
 * on. Returns the pages copied, or -1 if a transaction is open.
 */
int rw_tx_copy_sync(struct rw_tx *tx)
{
	if (tx->active || tx->npages != 0)
		return -1;
	int n = rw_copy_pass(tx, RW_COPY_SYNC, 0, 0);
	tx->copyok = 1;
	return n;
}

/*
 * With no transaction open and the committed copy valid, find every page of memory that
 * differs from its copy (a change that no transaction made), name up to max of them in out
 * and, if restore, put it back. Returns how many pages differed, or -1 if the copy is not
 * valid or a transaction is open.
 */
int rw_tx_copy_heal(struct rw_tx *tx, uint64_t *out, int32_t max, int32_t restore)
{
	if (!tx->copyok || tx->active || tx->npages != 0)
		return -1;
	return rw_copy_pass(tx, restore ? RW_COPY_HEAL : RW_COPY_COMPARE, out, max);
}

/* Zeroed memory for a committed copy (untouched pages cost nothing), and its release. */
void *rw_copy_alloc(uint64_t size)
{
	return calloc(1, (size_t)size);
}

void rw_copy_free(void *p)
{
	free(p);
}

int rw_tx_size(void)
{
	return (int)sizeof(struct rw_tx);
}
