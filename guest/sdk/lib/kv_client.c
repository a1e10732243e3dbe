/* Client of the key-value server; protocol in <rewind/kv.h>. */
#include <string.h>
#include <rewind/kv.h>

/* Issues the call; returns the kernel status or else the reply label. */
/* Validates key and writes "key NUL" to the IPC buffer; returns klen or error. */
static long put_key(const char *key)
{
	size_t klen;

	if (!key)
		return RW_EINVAL;
	klen = strnlen(key, KV_KEY_MAX + 1);
	if (klen == 0 || klen > KV_KEY_MAX)
		return RW_EINVAL;
	memcpy(rw_ipc_buf(), key, klen + 1);
	return (long)klen;
}

long kv_connect(const char *name)
{
	return rw_cap_lookup_str(name);
}

long kv_put(int kv, const char *key, const void *val, size_t len)
{
	rw_msg m = { 0 };
	long klen = put_key(key);

	if (klen < 0)
		return klen;
	if (len > KV_VAL_MAX || (len && !val))
		return RW_EINVAL;
	if (len)
		memcpy((char *)rw_ipc_buf() + klen + 1, val, len);
	m.label = KV_PUT;
	m.w[0] = (uint64_t)klen;
	m.w[1] = len;
	m.len = (uint64_t)klen + 1 + len;
	long r = rw_rpc(kv, &m);
	return r < 0 ? r : (long)(m.w[0] != 0);
}

long kv_get(int kv, const char *key, void *buf, size_t cap, size_t *len)
{
	rw_msg m = { 0 };
	long klen = put_key(key);

	if (klen < 0)
		return klen;
	m.label = KV_GET;
	m.w[0] = (uint64_t)klen;
	m.len = (uint64_t)klen + 1;
	long r = rw_rpc(kv, &m);
	if (r < 0)
		return r;
	size_t vlen = m.w[0];
	if (vlen > KV_VAL_MAX || m.len != vlen)
		return RW_EINVAL;	/* malformed reply */
	if (buf && cap)
		memcpy(buf, rw_ipc_buf(), vlen < cap ? vlen : cap);
	if (len)
		*len = vlen;
	return 0;
}

long kv_del(int kv, const char *key)
{
	rw_msg m = { 0 };
	long klen = put_key(key);

	if (klen < 0)
		return klen;
	m.label = KV_DEL;
	m.w[0] = (uint64_t)klen;
	m.len = (uint64_t)klen + 1;
	return rw_rpc(kv, &m);
}

long kv_count(int kv)
{
	rw_msg m = { 0 };

	m.label = KV_COUNT;
	long r = rw_rpc(kv, &m);
	return r < 0 ? r : (long)m.w[0];
}

long kv_list(int kv, uint64_t *cursor, char *key, size_t keycap, size_t *vlen)
{
	rw_msg m = { 0 };

	if (!cursor)
		return RW_EINVAL;
	m.label = KV_LIST;
	m.w[0] = *cursor;
	long r = rw_rpc(kv, &m);
	if (r < 0)
		return r;
	size_t klen = m.w[1];
	if (klen == 0 || klen > KV_KEY_MAX || m.len != klen + 1)
		return RW_EINVAL;	/* malformed reply */
	if (key && keycap) {
		size_t n = klen < keycap - 1 ? klen : keycap - 1;
		memcpy(key, rw_ipc_buf(), n);
		key[n] = '\0';
	}
	if (vlen)
		*vlen = m.w[2];
	*cursor = m.w[0];
	return (long)klen;
}

long kv_debug_fault(int kv, int kind)
{
	rw_msg m = { 0 };

	m.label = KV_DEBUG_FAULT;
	m.w[0] = (uint64_t)(long)kind;
	m.w[1] = KV_FAULT_MAGIC;
	return rw_rpc(kv, &m);
}

long kv_debug_fault_dirty(int kv, int kind)
{
	rw_msg m = { 0 };

	m.label = KV_DEBUG_FAULT;
	m.w[0] = (uint64_t)(long)kind;
	m.w[1] = KV_FAULT_MAGIC;
	m.w[2] = 1;
	return rw_rpc(kv, &m);
}
