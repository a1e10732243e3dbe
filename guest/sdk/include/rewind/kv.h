/*
 * kv.h - client of the key-value store server (endpoint "kv").
 *
 * Keys are strings of 1..KV_KEY_MAX bytes (no NUL inside), values are
 * 0..KV_VAL_MAX bytes of arbitrary data.  Every function returns >= 0 on
 * success or a negative error: a kernel status (RW_ECAP, RW_EDEAD, ...) from
 * rw_call, or the server's status from the reply label (RW_EINVAL bad
 * request, RW_ENOENT no such key, RW_ENOMEM store full, RW_ENOSYS unknown
 * request).
 *
 * Protocol (all requests and replies are one rw_call), defined in
 * guest/abi/kv.proto, from which <rewind/kv_proto.h> (labels, constants,
 * request rules, client stubs) is generated:
 *
 *   Labels are KV_MAGIC << 16 | op, so that a small or random
 *   label never names a valid request.  Words that a request does not use
 *   must be 0.  "key" in the IPC buffer = the key bytes followed by one NUL.
 *
 *   request     words                       buffer           reply (label 0)
 *   KV_PUT      w0 = klen, w1 = vlen        key NUL value    w0 = 1 created / 0 replaced
 *   KV_GET      w0 = klen                   key NUL          w0 = vlen, buffer = value
 *   KV_DEL      w0 = klen                   key NUL          -
 *   KV_COUNT    -                           -                w0 = number of keys
 *   KV_LIST     w0 = cursor                 -                w0 = next cursor, w1 = klen,
 *                                                            w2 = vlen, buffer = key NUL
 *
 *   The buffer length (a6) must be exactly klen + 1 (+ vlen for KV_PUT).
 *   KV_LIST returns the first key at a cursor position >= w0 (the cursor is
 *   an opaque slot number, start with 0) or RW_ENOENT when there is none.
 *   Reply label: 0 or a negative error; unused reply words are 0.
 */
#ifndef REWIND_KV_H
#define REWIND_KV_H

#include <stddef.h>
#include <stdint.h>
#include <rewind/rewind.h>
#include <rewind/kv_proto.h> /* generated from guest/abi/kv.proto */

#ifdef __cplusplus
extern "C" {
#endif

/* KV_KEY_MAX (64), KV_VAL_MAX (1024), KV_CAPACITY (1024 keys) and the
 * labels KV_PUT... come from <rewind/kv_proto.h>. */

/* Looks up the server's endpoint into *kv (the `kv` argument of the other
 * functions). Returns 0 or RW_ENOENT / RW_EINVAL / RW_EFAULT. */
long kv_connect(const char *name, rw_cap *kv);

/* Stores len bytes at val under key. Returns 1 if the key is new, 0 if an
 * existing value was replaced. */
long kv_put(rw_cap kv, const char *key, const void *val, size_t len);

/* Copies the value of key into buf (at most cap bytes) and sets *len to the
 * full length of the value (which may exceed cap). Returns 0 or RW_ENOENT. */
long kv_get(rw_cap kv, const char *key, void *buf, size_t cap, size_t *len);

/* Deletes key. Returns 0 or RW_ENOENT. */
long kv_del(rw_cap kv, const char *key);

/* Number of keys in the store. */
long kv_count(rw_cap kv);

/*
 * Iterates over the keys: start with *cursor = 0; each call copies the next
 * key (NUL-terminated, truncated to keycap - 1 bytes) into key, sets *vlen
 * (if not NULL) to its value length and advances *cursor.  Returns the key
 * length, or RW_ENOENT after the last key.
 */
long kv_list(rw_cap kv, uint64_t *cursor, char *key, size_t keycap, size_t *vlen);

#ifdef __cplusplus
}
#endif

#endif /* REWIND_KV_H */
