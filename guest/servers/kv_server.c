/*
 * kv_server - in-memory key-value store serving endpoint "kv".
 *
 * Protocol: see <rewind/kv.h> and guest/abi/kv.proto.  Chained hash table
 * over a fixed pool of KV_CAPACITY entries (static memory); values are
 * malloc'ed.  Every request field is validated and any malformed request
 * gets an error label: no request, however garbled, may crash the server.
 * The words and buffer lengths are checked by rw_dispatch against the rules
 * generated from kv.proto; the handlers check the rest (the key's NULs).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/kv.h>
#include "debug_fault.h"

#define NBUCKETS         512              /* power of two */
#define DEBUG_MARKER_KEY "__debug_marker" /* inserted by a dirty debug fault */

struct entry {
	int32_t next; /* next entry in the bucket, -1 = end */
	uint8_t used;
	uint8_t klen;
	uint16_t vlen;
	char key[KV_KEY_MAX + 1];
	uint32_t ksum; /* key_sum of the klen bytes of key */
	char *val;
	uint64_t vsum; /* value_sum of the vlen bytes at val */
};

static struct entry entries[KV_CAPACITY];

/* Where struct entry keeps what, for tests that look into the table from
 * outside (TxIpcReplayTest reads this through the ELF symbol). */
__attribute__((used, retain)) const uint32_t kv_entry_layout[] = {
	sizeof(struct entry),
	offsetof(struct entry, used),
	offsetof(struct entry, key),
	offsetof(struct entry, val),
	KV_CAPACITY,
	offsetof(struct entry, vlen),
	offsetof(struct entry, vsum),
	offsetof(struct entry, ksum),
};
static int32_t buckets[NBUCKETS];      /* first entry, -1 = empty */
static int32_t free_list[KV_CAPACITY]; /* stack of unused entry indices */
static int32_t free_top;
static long nkeys;

static void kv_init(void)
{
	for (int i = 0; i < NBUCKETS; i++)
		buckets[i] = -1;
	/* Hand out low indices first: KV_LIST order then follows insertion. */
	for (int i = 0; i < KV_CAPACITY; i++)
		free_list[i] = KV_CAPACITY - 1 - i;
	free_top = KV_CAPACITY;
}

static uint32_t hash(const char *key, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)key[i];
		h *= 16777619u;
	}
	return h & (NBUCKETS - 1);
}

/*
 * The count against the free list: every entry is either counted or free. Checked after each
 * change of either, so that a skipped address computation, which made a DEL decrement a word
 * elsewhere and leave nkeys one high (kv seed 1991219: COUNT answered 34 for 33), is a failed
 * assertion of that request; the two are loaded from their own addresses.
 */
static void count_check(void)
{
	if (*(volatile long *)&nkeys + *(volatile int32_t *)&free_top != KV_CAPACITY)
		rw_panic("kv: the count and the free list disagree (a transient fault)");
}

/* Index of the entry holding key, or -1; *prev = predecessor in the chain. Not inlined: find
 * runs it twice for a miss. */
__attribute__((noinline)) static int32_t find_once(const char *key, size_t klen, int32_t *prev)
{
	int32_t p = -1;
	for (int32_t i = buckets[hash(key, klen)]; i >= 0; i = entries[i].next) {
		if (entries[i].klen == klen && memcmp(entries[i].key, key, klen) == 0) {
			if (prev)
				*prev = p;
			return i;
		}
		p = i;
	}
	return -1;
}

/*
 * The sum of a stored key (its length and bytes: FNV-1a, each step a bijection of h, so any one
 * changed byte changes it), kept beside it and compared where a lookup finds the entry, where a
 * miss walks its bucket and where LIST answers it: a bit flipped in a key between requests, in a
 * page no request wrote since, listed a key no one stored or missed one that was there (kv live
 * flips 2001079, 2001263 of session 52). A mismatch is a failed assertion: txipc undoes the
 * request, puts the page back from the committed copy and runs it again.
 */
static uint32_t key_sum(const char *key, size_t klen)
{
	uint32_t h = 2166136261u ^ (uint32_t)klen;
	for (size_t i = 0; i < klen; i++) {
		h ^= (uint8_t)key[i];
		h *= 16777619u;
	}
	return h;
}

static void entry_key_check(const struct entry *e)
{
	if (e->klen > KV_KEY_MAX || key_sum(e->key, e->klen) != e->ksum)
		rw_panic("kv: a stored key differs from its sum (memory changed)");
}

/*
 * A key's length against the key itself (NUL-terminated, no NUL inside: parse_key made it so). A
 * length register spoiled after parse_key (kv seed 1990796: klen zeroed across memchr) looked up,
 * hashed and stored a prefix of the key, consistently, so every later check agreed: a PUT
 * "created" an entry for a key that was there. Called where a handler has last used the length.
 */
static void key_len_check(const char *key, size_t klen)
{
	if (klen > KV_KEY_MAX || key[klen] != '\0' || strlen(key) != klen)
		rw_panic("kv: a key's length no longer matches the key (a transient fault)");
}

/*
 * find_once, its answer checked: a transient fault in the lookup (a skipped compare or branch,
 * the chain's index register flipped) missed a key that is there (GET "missing", PUT creating a
 * second entry for it, DEL "missing") or found another, with no trap: 26 of the 155 silent runs
 * of `rewind inject builtin:t_kv_oracle.toml --server kv -n 10000 --seed 1800001` on 1b19cc9.
 * So a miss is looked up again, and a hit (and its predecessor, when asked for) is checked
 * against the table read again: a difference is a failed assertion, which txipc undoes. Inlined,
 * so that the checks run in the handler itself on the index it goes on with: a skipped move of
 * the index into a0 as a separate find returned gave a GET entry 0's value (kv seed 1990883).
 */
static inline __attribute__((always_inline)) int32_t find(const char *key, size_t klen,
                                                          int32_t *prev)
{
	int32_t i = find_once(key, klen, prev);

	__asm__ volatile("" : "+r"(i) : : "memory");
	if (i < 0) {
		if (find_once(key, klen, NULL) >= 0)
			rw_panic("kv: a key's two lookups disagree (a transient fault)");
		key_len_check(key, klen);
		/* (the key may be there with a flipped byte: its bucket's keys against their sums) */
		int32_t n = 0;
		for (int32_t j = buckets[hash(key, klen)];
		     j >= 0 && j < KV_CAPACITY && n < KV_CAPACITY; j = entries[j].next, n++)
			entry_key_check(&entries[j]);
		return i;
	}
	const struct entry *e = &entries[i];
	if (i >= KV_CAPACITY || !e->used || e->klen != klen || memcmp(e->key, key, klen) != 0)
		rw_panic("kv: a lookup found an entry of another key (a transient fault)");
	entry_key_check(e);
	if (prev) {
		int32_t p = *prev;
		if (p < 0 ? buckets[hash(key, klen)] != i
		          : p >= KV_CAPACITY || entries[p].next != i)
			rw_panic("kv: a lookup found the wrong predecessor (a transient fault)");
	}
	key_len_check(key, klen);
	return i;
}

/*
 * Takes "key NUL" from the start of the IPC buffer (w0 = klen; its range
 * and the request length were checked by the rule).  Copies the key into
 * key[].  Returns klen or RW_EINVAL.
 */
__attribute__((noinline)) static long parse_key_once(const rw_msg *m, char key[KV_KEY_MAX + 1])
{
	const char *buf = rw_ipc_buf();
	uint64_t klen = m->w[0];

	if (buf[klen] != '\0' || memchr(buf, '\0', klen) != NULL)
		return RW_EINVAL;            /* not terminated, or embedded NUL */
	rw_copy_checked(key, buf, klen + 1); /* (a key copied wrong: a PUT under another key) */
	/* The copy compared with the request, here: a skipped call of it left an earlier request's
	 * key on the stack, of the same length, so the PUT replaced that key (kv seed 1991595). */
	if (*(const volatile uint64_t *)&m->w[0] != klen || memcmp(key, buf, klen + 1) != 0)
		rw_panic("kv: the key copied differs from the request's (a transient fault)");
	return (long)klen;
}

/*
 * parse_key_once, its key compared with the request again in the handler, through the handler's
 * own address of its buffer: a skipped `mv s1,a1` in parse_key_once's prologue (the buffer's
 * address kept from a stale register) copied and compared the key somewhere else, consistently,
 * and the handler used what its buffer held from an earlier request: a PUT replaced another key
 * (a skip sweep of kv, session 56).
 */
static inline __attribute__((always_inline)) long parse_key(const rw_msg *m,
                                                            char key[KV_KEY_MAX + 1])
{
	long klen = parse_key_once(m, key);

	__asm__ volatile("" : "+r"(klen) : : "memory");
	if (klen >= 0 && memcmp(key, rw_ipc_buf(), (size_t)klen + 1) != 0)
		rw_panic("kv: the key parsed is not in the handler's buffer (a transient fault)");
	return klen;
}

/*
 * The sum of a stored value's bytes, kept beside it and compared before GET answers it: a bit
 * flipped in a value between the request that stored it and the one that reads it is in a page no
 * request wrote since, which the kernel's committed-copy check before each reply never sees (kv
 * seeds 1870593, 1870953, 1872649 and 6 of 300 live-memory flips, session 51). A mismatch is a
 * failed assertion: txipc undoes the GET, puts the page back from the committed copy and runs it
 * again. Values are malloc'd, so their words are aligned; every step is a bijection of h, so any
 * one flipped bit changes the sum.
 */
static uint64_t value_sum(const char *v, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		h = (h ^ *(const uint64_t *)(const void *)(v + i)) * k;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ (uint8_t)v[i]) * k;
	return h;
}

/*
 * An entry, read back after a PUT built it, against what it was built from: a skipped store of
 * a field (`sh` of vlen, `sb` of used) or a field made from a skipped shift left a length of 0
 * or the entry's old one, which no later check compares with the value (a skip sweep of kv,
 * session 56: LIST gave "length 0" for a 39-byte value).
 */
static void entry_check(const struct entry *e, size_t klen, const char *val, uint64_t vlen,
                        uint64_t vsum)
{
	const volatile struct entry *v = e;

	if (!v->used || v->klen != klen || v->vlen != vlen || v->val != val || v->vsum != vsum)
		rw_panic("kv: an entry differs from what a PUT stored in it (a transient fault)");
}

/*
 * Stores vlen bytes at src under key (klen bytes, NUL-terminated).
 * Returns 1 if the key is new, 0 if its value was replaced, or RW_ENOMEM.
 */
static long store(const char *key, size_t klen, const void *src, uint64_t vlen)
{
	char *val = malloc(vlen ? vlen : 1);
	if (!val)
		return RW_ENOMEM;
	rw_copy_checked(val, src, vlen); /* (a fault in the copy: the request's) */
	uint64_t vsum = value_sum(val, vlen);

	int32_t i = find(key, klen, NULL);
	if (i >= 0) { /* replace */
		free(entries[i].val);
		entries[i].val = val;
		entries[i].vlen = (uint16_t)vlen;
		entries[i].vsum = vsum;
		entry_check(&entries[i], klen, val, vlen, vsum);
		return 0;
	}
	if (free_top == 0) { /* full */
		free(val);
		return RW_ENOMEM;
	}
	i = free_list[--free_top];
	long before = *(volatile long *)&nkeys;
	struct entry *e = &entries[i];
	/* A free entry is not in use: a skipped load of the free list's address or of the index
	 * (a stale register) took an entry in use, whose key the new one replaced in its bucket
	 * (a skip sweep of kv, session 56: a LIST missed a key). */
	if (i < 0 || i >= KV_CAPACITY || ((volatile struct entry *)e)->used)
		rw_panic("kv: the free list gave an entry in use (a transient fault)");
	uint32_t b = hash(key, klen);
	e->used = 1;
	e->klen = (uint8_t)klen;
	e->vlen = (uint16_t)vlen;
	rw_copy_checked(e->key, key, klen + 1);
	e->ksum = key_sum(key, klen);
	e->val = val;
	e->vsum = vsum;
	e->next = buckets[b];
	buckets[b] = i;
	*(volatile long *)&nkeys = *(volatile long *)&nkeys + 1;
	/* A skipped step of the hash or a flipped bucket register linked the entry where no lookup
	 * finds it; a count loaded and spoiled before its increment left nkeys off (kv seeds 1870971,
	 * 1871736, 1871828, session 51): no trap, a later GET "missing" or COUNT wrong. */
	if (*(volatile long *)&nkeys != before + 1 || find_once(key, klen, NULL) != i ||
	    e->klen != klen)
		rw_panic("kv: a new entry is not where a lookup finds it, or the count is off (a "
		         "transient fault)");
	key_len_check(e->key, e->klen); /* the length it was built with, after find checked it */
	entry_check(e, klen, val, vlen, vsum);
	count_check();
	return 1;
}

static long do_put(const rw_request *r)
{
	char key[KV_KEY_MAX + 1];
	long klen = parse_key(r->in, key);

	if (klen < 0)
		return klen;
	long st = store(key, (size_t)klen, (const char *)rw_ipc_buf() + klen + 1, r->in->w[1]);
	if (st < 0)
		return st;
	/*
	 * The value stored under the key, found again, against the request's bytes: a skipped
	 * `mv s1,a2` in store's prologue copied the value from a stale address, and the copy's
	 * own check compared it with that same source (a skip sweep of kv, session 56: a later
	 * SCAN found the value changed).
	 */
	int32_t i = find_once(key, (size_t)klen, NULL);
	const volatile rw_msg *in = r->in;
	uint64_t vlen = in->w[1];
	/* (the value's place made anew: the buffer's address by an instruction of its own, its
	 * offset from the request's key length read again; gcc had kept both in the registers that
	 * made store's source, where a skipped `lui` or `add` spoiled both alike) */
	const char *buf = (const char *)rw_ipc_buf_again() + in->w[0] + 1;
	if (i < 0 || i >= KV_CAPACITY || entries[i].vlen != vlen ||
	    memcmp(entries[i].val, buf, vlen) != 0)
		rw_panic("kv: the value a PUT stored differs from the request's (a transient "
		         "fault)");
	r->out->w[0] = (uint64_t)st;
	/* (read back through the reply's address loaded again: a skipped load of it stored the
	 * answer elsewhere, and the reply said "replaced" for a key created) */
	if (((const volatile rw_request *)r)->out->w[0] != (uint64_t)st)
		rw_panic("kv: PUT's answer is not in its reply (a transient fault)");
	return 0;
}

/*
 * GET's reply, read back, against the entry it answers from, read again: the length words were
 * stored from one register, so a skipped load of the entry's length (`lhu a4, 6(s0)`) answered
 * "length 0" for a 155-byte value, and the reply rule (len = w0) held (seed 2421035 of session
 * 58's final kv campaign); a skipped call of the copy sent the request's bytes back as the
 * value (KvGetCheckTest). noipa: it reads the reply's address itself (see check_counted).
 */
__attribute__((noipa)) static void check_got(const rw_request *r, int32_t i)
{
	const volatile rw_msg *m = ((const volatile rw_request *)r)->out;
	const volatile struct entry *e = &entries[i];

	if (i < 0 || i >= KV_CAPACITY || !e->used || m->w[0] != e->vlen || m->len != e->vlen ||
	    memcmp(rw_ipc_buf(), e->val, e->vlen) != 0)
		rw_panic("kv: GET's reply differs from the entry it answers from (a transient "
		         "fault)");
}

static long do_get(const rw_request *r)
{
	char key[KV_KEY_MAX + 1];
	long klen = parse_key(r->in, key);

	if (klen < 0)
		return klen;
	int32_t i = find(key, (size_t)klen, NULL);
	if (i < 0)
		return RW_ENOENT;
	if (value_sum(entries[i].val, entries[i].vlen) != entries[i].vsum)
		rw_panic("kv: a stored value differs from its sum (memory changed)");
	rw_copy_checked(rw_ipc_buf(), entries[i].val, entries[i].vlen);
	r->out->w[0] = entries[i].vlen;
	r->out->len = entries[i].vlen;
	check_got(r, i);
	return 0;
}

static long do_del(const rw_request *r)
{
	char key[KV_KEY_MAX + 1];
	int32_t prev = -1;
	long klen = parse_key(r->in, key);

	if (klen < 0)
		return klen;
	int32_t i = find(key, (size_t)klen, &prev);
	if (i < 0)
		return RW_ENOENT;
	if (prev < 0)
		buckets[hash(key, (size_t)klen)] = entries[i].next;
	else
		entries[prev].next = entries[i].next;
	free(entries[i].val);
	memset(&entries[i], 0, sizeof entries[i]);
	entries[i].next = -1;
	free_list[free_top++] = i;
	nkeys--;
	key_len_check(key, (size_t)klen); /* (the bucket above was hashed from it) */
	count_check();
	return 0;
}

/*
 * COUNT's reply, read back through the request's reply pointer read again, against the count
 * read again: a skipped load of the count answered a stale register (a sweep of kv's handlers,
 * session 58). noipa, not only noinline: gcc's IPA-SRA would pass it `r->out` as the caller
 * loaded it, and a skipped load would send the reply and the check to the same stale place.
 */
__attribute__((noipa)) static void check_counted(const rw_request *r)
{
	const volatile rw_msg *m = ((const volatile rw_request *)r)->out;

	if (m->w[0] != (uint64_t) * (volatile long *)&nkeys)
		rw_panic("kv: COUNT's reply differs from the count (a transient fault)");
}

static long do_count(const rw_request *r)
{
	r->out->w[0] = (uint64_t)nkeys;
	check_counted(r);
	return 0;
}

/* The first used slot at or after from, or KV_CAPACITY. Not inlined: do_list runs it twice. */
__attribute__((noinline)) static uint64_t next_used(uint64_t from)
{
	for (uint64_t i = from; i < KV_CAPACITY; i++)
		if (entries[i].used)
			return i;
	return KV_CAPACITY;
}

/*
 * LIST's reply, read back from memory, against the entry it names, and against the request's
 * cursor, read again: LIST names the first used slot at or after it, so never one before it (the
 * slot's register zeroed after both scans agreed listed the table's first key again, no trap:
 * kv seed 2175516 of session 55's 10,000 campaign).
 */
__attribute__((noinline)) static void check_listed(const rw_msg *out, const rw_msg *in)
{
	const volatile rw_msg *m = out;
	uint64_t next = m->w[0];

	if (next == 0 || next > KV_CAPACITY || next - 1 < ((const volatile rw_msg *)in)->w[0])
		rw_panic("kv: LIST's cursor names no slot at or after the request's (a transient "
		         "fault)");
	const struct entry *e = &entries[next - 1];
	entry_key_check(e);
	if (!e->used || m->w[1] != e->klen || m->w[2] != e->vlen ||
	    m->len != (uint64_t)e->klen + 1 ||
	    memcmp(rw_ipc_buf(), e->key, (size_t)e->klen + 1) != 0)
		rw_panic("kv: LIST's reply differs from the entry it names (a transient fault)");
}

/*
 * LIST answers from a scan of the table and a copy of the key: a transient fault in either (a
 * skipped test of `used`, the cursor's register flipped, a skipped store of a reply word) sent
 * a wrong listing with no trap, the most common silent outcome of kv's campaigns (72 of 155 in
 * `rewind inject builtin:t_kv_oracle.toml --server kv -n 10000 --seed 1800001` on 1b19cc9:
 * keys listed twice, skipped, or with another's bytes, beside 42 malformed replies that the
 * dispatch's reply check now finds). So the table is scanned twice, the second time from the
 * cursor read again from the request, and the reply, read back, is compared with the entry it
 * names: a difference is a failed assertion, which txipc undoes. LIST is kv's rarest request.
 */
static long do_list(const rw_request *r)
{
	uint64_t i = next_used(r->in->w[0]);

	__asm__ volatile("" : "+r"(i) : : "memory");
	if (i != next_used(((const volatile rw_msg *)r->in)->w[0]))
		rw_panic("kv: LIST's two scans disagree (a transient fault)");
	if (i >= KV_CAPACITY)
		return RW_ENOENT;
	const struct entry *e = &entries[i];
	rw_copy_checked(rw_ipc_buf(), e->key, (size_t)e->klen + 1);
	r->out->w[0] = i + 1;
	r->out->w[1] = e->klen;
	r->out->w[2] = e->vlen;
	r->out->len = (uint64_t)e->klen + 1;
	check_listed(r->out, r->in);
	return 0;
}

/*
 * Leaves partial changes behind before a dirty debug fault, so that a test
 * can tell whether the fault was rolled back: overwrites the value of the
 * first key in the table (if any) and inserts DEBUG_MARKER_KEY.
 */
static void make_dirty(void)
{
	static const char junk[] = "debug fault: dirty value";

	for (int i = 0; i < KV_CAPACITY; i++) {
		if (entries[i].used) {
			store(entries[i].key, entries[i].klen, junk, sizeof junk - 1);
			break;
		}
	}
	store(DEBUG_MARKER_KEY, sizeof DEBUG_MARKER_KEY - 1, junk, sizeof junk - 1);
}

/* KV_DEBUG_FAULT (test-only, debug_fault.h): the rule checked the kind. */
static long do_debug_fault(const rw_request *r)
{
	rw_msg m = *r->in; /* on the stack: a debugger finds debug_fault's kind there */

	printf("kv: debug fault %lu%s\n", (unsigned long)m.w[0], m.w[2] ? " (dirty)" : "");
	if (m.w[2])
		make_dirty();
	debug_fault((long)m.w[0]);
	return RW_ESTATE; /* the fault did not happen */
}

static const rw_op ops[] = {
	KV_OPS(do_),
	RW_OP(KV_DEBUG_FAULT, do_debug_fault),
};

int main(void)
{
	rw_cap ep;
	long r = rw_cap_get("kv", &ep);

	if (r < 0) {
		printf("kv: no endpoint \"kv\" (%s)\n", rw_strerror(r));
		return 1;
	}
	kv_init();
	printf("kv: ready\n");
	rw_serve_ops(ep, ops, RW_NOPS(ops), NULL);
}
