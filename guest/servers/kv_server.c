/*
 * kv_server - in-memory key-value store serving endpoint "kv".
 *
 * Protocol: see <rewind/kv.h>.  Chained hash table over a fixed pool of
 * KV_CAPACITY entries (static memory); values are malloc'ed.  Every request
 * field is validated and any malformed request gets an error label: no
 * request, however garbled, may crash the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/kv.h>
#include "debug_fault.h"

#define NBUCKETS 512			/* power of two */
#define DEBUG_MARKER_KEY "__debug_marker"	/* inserted by a dirty debug fault */

struct entry {
	int32_t next;			/* next entry in the bucket, -1 = end */
	uint8_t used;
	uint8_t klen;
	uint16_t vlen;
	char key[KV_KEY_MAX + 1];
	char *val;
};

static struct entry entries[KV_CAPACITY];
static int32_t buckets[NBUCKETS];	/* first entry, -1 = empty */
static int32_t free_list[KV_CAPACITY];	/* stack of unused entry indices */
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
	uint32_t h = 2166136261u;		/* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)key[i];
		h *= 16777619u;
	}
	return h & (NBUCKETS - 1);
}

/* Index of the entry holding key, or -1; *prev = predecessor in the chain. */
static int32_t find(const char *key, size_t klen, int32_t *prev)
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
 * Parses "key NUL" at the start of the IPC buffer: w0 = klen, and the
 * request length must be klen + 1 + extra.  Copies the key into key[].
 * Returns klen or RW_EINVAL.
 */
static long parse_key(const rw_msg *m, uint64_t extra, char key[KV_KEY_MAX + 1])
{
	const char *buf = rw_ipc_buf();
	uint64_t klen = m->w[0];

	if (klen == 0 || klen > KV_KEY_MAX)
		return RW_EINVAL;
	if (m->len > RW_IPC_BUF_SIZE || extra > KV_VAL_MAX || m->len != klen + 1 + extra)
		return RW_EINVAL;
	if (buf[klen] != '\0' || memchr(buf, '\0', klen) != NULL)
		return RW_EINVAL;		/* not terminated, or embedded NUL */
	memcpy(key, buf, klen + 1);
	return (long)klen;
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
	memcpy(val, src, vlen);

	int32_t i = find(key, klen, NULL);
	if (i >= 0) {				/* replace */
		free(entries[i].val);
		entries[i].val = val;
		entries[i].vlen = (uint16_t)vlen;
		return 0;
	}
	if (free_top == 0) {			/* full */
		free(val);
		return RW_ENOMEM;
	}
	i = free_list[--free_top];
	struct entry *e = &entries[i];
	uint32_t b = hash(key, klen);
	e->used = 1;
	e->klen = (uint8_t)klen;
	e->vlen = (uint16_t)vlen;
	memcpy(e->key, key, klen + 1);
	e->val = val;
	e->next = buckets[b];
	buckets[b] = i;
	nkeys++;
	return 1;
}

static long do_put(const rw_msg *m, rw_msg *r)
{
	char key[KV_KEY_MAX + 1];
	uint64_t vlen = m->w[1];

	if (m->w[2] || m->w[3] || vlen > KV_VAL_MAX)
		return RW_EINVAL;
	long klen = parse_key(m, vlen, key);
	if (klen < 0)
		return klen;
	long st = store(key, (size_t)klen, (const char *)rw_ipc_buf() + klen + 1, vlen);
	if (st < 0)
		return st;
	r->w[0] = (uint64_t)st;
	return 0;
}

static long do_get(const rw_msg *m, rw_msg *r)
{
	char key[KV_KEY_MAX + 1];

	if (m->w[1] || m->w[2] || m->w[3])
		return RW_EINVAL;
	long klen = parse_key(m, 0, key);
	if (klen < 0)
		return klen;
	int32_t i = find(key, (size_t)klen, NULL);
	if (i < 0)
		return RW_ENOENT;
	memcpy(rw_ipc_buf(), entries[i].val, entries[i].vlen);
	r->w[0] = entries[i].vlen;
	r->len = entries[i].vlen;
	return 0;
}

static long do_del(const rw_msg *m)
{
	char key[KV_KEY_MAX + 1];
	int32_t prev = -1;

	if (m->w[1] || m->w[2] || m->w[3])
		return RW_EINVAL;
	long klen = parse_key(m, 0, key);
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
	return 0;
}

static long do_count(const rw_msg *m, rw_msg *r)
{
	if (m->w[0] || m->w[1] || m->w[2] || m->w[3] || m->len)
		return RW_EINVAL;
	r->w[0] = (uint64_t)nkeys;
	return 0;
}

static long do_list(const rw_msg *m, rw_msg *r)
{
	if (m->w[1] || m->w[2] || m->w[3] || m->len)
		return RW_EINVAL;
	for (uint64_t i = m->w[0]; i < KV_CAPACITY; i++) {
		const struct entry *e = &entries[i];
		if (!e->used)
			continue;
		memcpy(rw_ipc_buf(), e->key, (size_t)e->klen + 1);
		r->w[0] = i + 1;
		r->w[1] = e->klen;
		r->w[2] = e->vlen;
		r->len = (uint64_t)e->klen + 1;
		return 0;
	}
	return RW_ENOENT;
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

static long do_debug_fault(const rw_msg *m)
{
	if (m->w[1] != KV_FAULT_MAGIC || m->w[2] > 1 || m->w[3] || m->len)
		return RW_EINVAL;
	if (m->w[0] < DEBUG_FAULT_ILLEGAL || m->w[0] > DEBUG_FAULT_TEXT_WRITE)
		return RW_EINVAL;
	printf("kv: debug fault %lu%s\n", (unsigned long)m->w[0], m->w[2] ? " (dirty)" : "");
	if (m->w[2])
		make_dirty();
	debug_fault((long)m->w[0]);
	return RW_ESTATE;			/* the fault did not happen */
}

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	rw_msg req = *m;
	long st;

	(void)badge;
	(void)ctx;
	memset(m, 0, sizeof *m);
	if (req.len > RW_IPC_BUF_SIZE) {
		st = RW_EINVAL;
	} else {
		switch (req.label) {
		case KV_PUT:		st = do_put(&req, m); break;
		case KV_GET:		st = do_get(&req, m); break;
		case KV_DEL:		st = do_del(&req); break;
		case KV_COUNT:		st = do_count(&req, m); break;
		case KV_LIST:		st = do_list(&req, m); break;
		case KV_DEBUG_FAULT:	st = do_debug_fault(&req); break;
		default:		st = RW_ENOSYS; break;
		}
	}
	if (st < 0)
		memset(m, 0, sizeof *m);	/* errors carry no data */
	m->label = (uint64_t)st;
}

int main(void)
{
	long ep = rw_cap_lookup_str("kv");

	if (ep < 0) {
		printf("kv: no endpoint \"kv\" (%s)\n", rw_strerror(ep));
		return 1;
	}
	kv_init();
	printf("kv: ready\n");
	rw_serve((int)ep, handle, NULL);
}
