/*
 * nest.h - client of the nested-call test server (endpoint "nest").
 *
 * The server keeps named 64-bit counters and mirrors each one into the kv
 * server (key "nest:<name>", value the counter in decimal) with a NESTED kv
 * call made while it handles the request, so that recovery across two
 * servers can be tested.
 *
 * Protocol (one rw_call per request):
 *
 *   Labels are NEST_MAGIC << 16 | op.  Words a request does not use must be
 *   0.  "name" in the IPC buffer = 1..NEST_NAME_MAX bytes followed by one
 *   NUL, and the buffer length (a6) = nlen + 1 exactly.
 *
 *   request     words                            buffer   reply (label 0)
 *   NEST_ADD    w0 = nlen, w1 = delta (int64),   name     w0 = new value
 *               w2 = fault mode (NEST_FAULT_*)
 *   NEST_GET    w0 = nlen                        name     w0 = value
 *
 *   NEST_ADD creates the counter (at 0) if needed, adds delta to it in the
 *   server's own table, then puts the new value into kv.  Fault modes:
 *     NEST_FAULT_NONE   0  no fault
 *     NEST_FAULT_BEFORE 1  nest faults (illegal instruction) after changing
 *                          its table, BEFORE the kv call
 *     NEST_FAULT_AFTER  2  nest faults AFTER the kv put succeeded
 *     NEST_FAULT_KV     3  instead of the put, nest sends kv a dirty debug
 *                          fault (kv_debug_fault_dirty, illegal instruction)
 *   If the kv call fails (kv's error, e.g. RW_ERECOVERED or RW_EDEAD), nest
 *   undoes its own table change and replies that error in the label (after
 *   RW_EDEAD it also refreshes its kv capability).
 *   Errors: RW_EINVAL bad request, RW_ENOENT no such counter (GET),
 *   RW_ENOMEM table full (NEST_CAPACITY counters), RW_ENOSYS unknown label.
 *
 * The functions below return 0 or a negative error: the kernel status of
 * rw_call (RW_ERECOVERED when nest itself faulted and was rolled back,
 * RW_EDEAD...) or the reply label (which may be kv's error passed on).
 */
#ifndef REWIND_NEST_H
#define REWIND_NEST_H

#include <stdint.h>
#include <string.h>
#include <rewind/rewind.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NEST_NAME_MAX		32
#define NEST_CAPACITY		64
#define NEST_KV_PREFIX		"nest:"		/* kv key = prefix + name */

#define NEST_MAGIC		0x4e53ULL	/* "NS" */
#define NEST_LABEL(op)		((NEST_MAGIC << 16) | (op))
#define NEST_ADD		NEST_LABEL(1)
#define NEST_GET		NEST_LABEL(2)

#define NEST_FAULT_NONE		0
#define NEST_FAULT_BEFORE	1
#define NEST_FAULT_AFTER	2
#define NEST_FAULT_KV		3

/* Writes "name NUL" to the IPC buffer and fills in m; returns 0 or RW_EINVAL. */
static inline long nest__msg(rw_msg *m, uint64_t label, const char *name)
{
	size_t n = name ? strnlen(name, NEST_NAME_MAX + 1) : 0;

	if (n == 0 || n > NEST_NAME_MAX)
		return RW_EINVAL;
	memcpy(rw_ipc_buf(), name, n + 1);
	memset(m, 0, sizeof *m);
	m->label = label;
	m->w[0] = n;
	m->len = n + 1;
	return 0;
}

static inline long nest__rpc(int cap, rw_msg *m, int64_t *value)
{
	long r = rw_call(cap, m);
	if (r < 0)
		return r;
	if ((long)m->label < 0)
		return (long)m->label;
	if (value)
		*value = (int64_t)m->w[0];
	return 0;
}

/* Adds delta to counter name (fault mode NEST_FAULT_*); *value = new value. */
static inline long nest_add(int cap, const char *name, int64_t delta, int mode, int64_t *value)
{
	rw_msg m;
	long r = nest__msg(&m, NEST_ADD, name);

	if (r < 0)
		return r;
	m.w[1] = (uint64_t)delta;
	m.w[2] = (uint64_t)(long)mode;
	return nest__rpc(cap, &m, value);
}

/* *value = counter name, from nest's own table. */
static inline long nest_get(int cap, const char *name, int64_t *value)
{
	rw_msg m;
	long r = nest__msg(&m, NEST_GET, name);

	return r < 0 ? r : nest__rpc(cap, &m, value);
}

#ifdef __cplusplus
}
#endif

#endif /* REWIND_NEST_H */
