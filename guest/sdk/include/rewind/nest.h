/*
 * nest.h - client of the nested-call test server (endpoint "nest").
 *
 * The server keeps named 64-bit counters and mirrors each one into the kv
 * server (key "nest:<name>", value the counter in decimal) with a NESTED kv
 * call made while it handles the request, so that recovery across two
 * servers can be tested.
 *
 * Protocol (one rw_call per request), defined in guest/abi/nest.proto, from
 * which <rewind/nest_proto.h> (labels, constants, request rules, client
 * stubs) is generated:
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
 *     NEST_FAULT_AFTER  2  nest faults AFTER the kv put succeeded (every
 *                          run: under txipc the client gets RW_EINDOUBT)
 *     NEST_FAULT_KV     3  instead of the put, nest sends kv a dirty debug
 *                          fault (kv_debug_fault_dirty, illegal instruction)
 *     NEST_STAMP        4  no fault; the kv value is "<value>@<clock ns>"
 *                          (the clock with bit 60 set: always 19 digits)
 *   If the kv call fails (kv's error, e.g. RW_ERECOVERED or RW_EDEAD), nest
 *   undoes its own table change and replies that error in the label (after
 *   RW_EDEAD it also refreshes its kv capability).
 *   Errors: RW_EINVAL bad request, RW_ENOENT no such counter (GET),
 *   RW_ENOMEM table full (NEST_CAPACITY counters), RW_ENOSYS unknown label.
 *
 * The functions below return 0 or a negative error: the kernel status of
 * rw_call (RW_ERECOVERED when nest itself faulted and was rolled back,
 * RW_EINDOUBT when it faulted after kv committed its part, RW_EDEAD...) or the reply label (which may be kv's error passed on).
 */
#ifndef REWIND_NEST_H
#define REWIND_NEST_H

#include <stdint.h>
#include <string.h>
#include <rewind/rewind.h>
#include <rewind/nest_proto.h> /* generated from guest/abi/nest.proto */

#ifdef __cplusplus
extern "C" {
#endif

/* NEST_NAME_MAX (32), NEST_CAPACITY (64), NEST_FAULT_* and the labels come
 * from <rewind/nest_proto.h>. */
#define NEST_KV_PREFIX "nest:" /* kv key = prefix + name */

/* Writes "name NUL" to the IPC buffer; returns its length or RW_EINVAL. */
static inline long nest__name(const char *name)
{
	size_t n = name ? strnlen(name, NEST_NAME_MAX + 1) : 0;

	if (n == 0 || n > NEST_NAME_MAX)
		return RW_EINVAL;
	memcpy(rw_ipc_buf(), name, n + 1);
	return (long)n;
}

/* Adds delta to counter name (fault mode NEST_FAULT_*); *value = new value. */
static inline long nest_add(rw_cap cap, const char *name, int64_t delta, int mode, int64_t *value)
{
	long n = nest__name(name);
	uint64_t v = 0;

	if (n < 0)
		return n;
	long r = nest_call_add(cap, (uint64_t)n, (uint64_t)delta, (uint64_t)(long)mode, &v);
	if (r < 0)
		return r;
	if (value)
		*value = (int64_t)v;
	return 0;
}

/* *value = counter name, from nest's own table. */
static inline long nest_get(rw_cap cap, const char *name, int64_t *value)
{
	long n = nest__name(name);
	uint64_t v = 0;

	if (n < 0)
		return n;
	long r = nest_call_get(cap, (uint64_t)n, &v);
	if (r < 0)
		return r;
	if (value)
		*value = (int64_t)v;
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* REWIND_NEST_H */
