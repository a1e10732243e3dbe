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
 * Protocol (all requests and replies are one rw_call):
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
 *   KV_DEBUG_FAULT w0 = kind, w1 = KV_FAULT_MAGIC  -         (the server faults; kind:
 *               1 illegal instruction, 2 NULL write, 3 read of 0x50000000,
 *               4 failed RW_ASSERT, 5 infinite loop, 6 write to own .text)
 *               w2 = 0, or 1 for a "dirty" fault: the server first changes
 *               its state (overwrites the value of the first key in its
 *               table, if any, and stores key "__debug_marker"), then faults
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

#ifdef __cplusplus
extern "C" {
#endif

#define KV_KEY_MAX	64
#define KV_VAL_MAX	1024
#define KV_CAPACITY	1024		/* keys the server holds at most */

#define KV_MAGIC	0x4b56ULL	/* "KV" */
#define KV_LABEL(op)	((KV_MAGIC << 16) | (op))
#define KV_PUT		KV_LABEL(1)
#define KV_GET		KV_LABEL(2)
#define KV_DEL		KV_LABEL(3)
#define KV_COUNT	KV_LABEL(4)
#define KV_LIST		KV_LABEL(5)
#define KV_DEBUG_FAULT	KV_LABEL(0xff)
#define KV_FAULT_MAGIC	0xdeb9fa17ULL

/* Looks up the server's endpoint. Returns the capability slot (the `kv`
 * argument of the other functions) or RW_ENOENT / RW_EINVAL / RW_EFAULT. */
long kv_connect(const char *name);

/* Stores len bytes at val under key. Returns 1 if the key is new, 0 if an
 * existing value was replaced. */
long kv_put(int kv, const char *key, const void *val, size_t len);

/* Copies the value of key into buf (at most cap bytes) and sets *len to the
 * full length of the value (which may exceed cap). Returns 0 or RW_ENOENT. */
long kv_get(int kv, const char *key, void *buf, size_t cap, size_t *len);

/* Deletes key. Returns 0 or RW_ENOENT. */
long kv_del(int kv, const char *key);

/* Number of keys in the store. */
long kv_count(int kv);

/*
 * Iterates over the keys: start with *cursor = 0; each call copies the next
 * key (NUL-terminated, truncated to keycap - 1 bytes) into key, sets *vlen
 * (if not NULL) to its value length and advances *cursor.  Returns the key
 * length, or RW_ENOENT after the last key.
 */
long kv_list(int kv, uint64_t *cursor, char *key, size_t keycap, size_t *vlen);

/* Asks the server to fault deliberately (see kinds above). Normally returns
 * RW_EDEAD (server died/restarted) or another kernel error. */
long kv_debug_fault(int kv, int kind);

/* Like kv_debug_fault, but the server first leaves partial changes behind
 * (see KV_DEBUG_FAULT, w2 = 1), to show whether recovery rolls them back.
 * Returns RW_ERECOVERED (txipc), RW_EDEAD (restart / none) or another error. */
long kv_debug_fault_dirty(int kv, int kind);

#ifdef __cplusplus
}
#endif

#endif /* REWIND_KV_H */
