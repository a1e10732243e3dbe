/* Client of the key-value server; protocol in <rewind/kv.h> and
 * guest/abi/kv.proto (the kv_call_* stubs are generated from it). */
#include <string.h>
#include <rewind/kv.h>

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

long kv_connect(const char *name, rw_cap *kv)
{
	return rw_cap_get(name, kv);
}

long kv_put(rw_cap kv, const char *key, const void *val, size_t len)
{
	uint64_t created = 0;
	long klen = put_key(key);

	if (klen < 0)
		return klen;
	if (len > KV_VAL_MAX || (len && !val))
		return RW_EINVAL;
	if (len)
		memcpy((char *)rw_ipc_buf() + klen + 1, val, len);
	long r = kv_call_put(kv, (uint64_t)klen, len, &created);
	return r < 0 ? r : (long)(created != 0);
}

long kv_get(rw_cap kv, const char *key, void *buf, size_t cap, size_t *len)
{
	uint64_t vlen = 0;
	long klen = put_key(key);

	if (klen < 0)
		return klen;
	long r = kv_call_get(kv, (uint64_t)klen, &vlen);
	if (r < 0)
		return r;
	if (buf && cap)
		memcpy(buf, rw_ipc_buf(), vlen < cap ? vlen : cap);
	if (len)
		*len = vlen;
	return 0;
}

long kv_del(rw_cap kv, const char *key)
{
	long klen = put_key(key);

	if (klen < 0)
		return klen;
	return kv_call_del(kv, (uint64_t)klen);
}

long kv_count(rw_cap kv)
{
	uint64_t n = 0;
	long r = kv_call_count(kv, &n);

	return r < 0 ? r : (long)n;
}

long kv_list(rw_cap kv, uint64_t *cursor, char *key, size_t keycap, size_t *vlen)
{
	uint64_t next = 0, klen = 0, vl = 0;

	if (!cursor)
		return RW_EINVAL;
	long r = kv_call_list(kv, *cursor, &next, &klen, &vl);
	if (r < 0)
		return r;
	if (key && keycap) {
		size_t n = klen < keycap - 1 ? klen : keycap - 1;
		memcpy(key, rw_ipc_buf(), n);
		key[n] = '\0';
	}
	if (vlen)
		*vlen = vl;
	*cursor = next;
	return (long)klen;
}
