/*
 * Test-only requests: deliberate faults for recovery tests.  They are not
 * part of the public protocols (guest/abi/NAME.proto, <rewind/kv.h>,
 * <rewind/fs.h>): the project's own kv and fs servers answer them, and only
 * its tests send them.
 *
 *   KV_DEBUG_FAULT / FS_DEBUG_FAULT (op 0xff of the kv / fs protocol)
 *   w0 = kind (DEBUG_FAULT_*), w1 = DEBUG_FAULT_MAGIC, w2 = 0, or 1 for a
 *   "dirty" fault, w3 = 0, no buffer.  The server faults; with w2 = 1 it
 *   first changes its state (kv: overwrites the value of the first key in
 *   its table, if any, and stores key "__debug_marker"; fs: writes into the
 *   first existing file, if any, and creates "/__debug_marker" with some
 *   data), to show whether recovery rolls the changes back.
 */
#ifndef SERVERS_DEBUG_FAULT_H
#define SERVERS_DEBUG_FAULT_H

#include <stdint.h>
#include <rewind/proto.h>
#include <rewind/kv_proto.h>
#include <rewind/fs_proto.h>

#define DEBUG_FAULT_ILLEGAL    1 /* illegal instruction */
#define DEBUG_FAULT_NULL       2 /* write through a NULL pointer */
#define DEBUG_FAULT_WILD_READ  3 /* read of unmapped 0x50000000 */
#define DEBUG_FAULT_ASSERT     4 /* failed RW_ASSERT */
#define DEBUG_FAULT_LOOP       5 /* infinite loop without system calls */
#define DEBUG_FAULT_TEXT_WRITE 6 /* write to the task's own .text */

#define DEBUG_FAULT_MAGIC 0xdeb9fa17ULL
#define KV_DEBUG_FAULT    KV_LABEL(0xff)
#define FS_DEBUG_FAULT    FS_LABEL(0xff)

/* The rule of a debug-fault request (for a server's rw_op table). */
#define DEBUG_FAULT_RULE(label)                                                      \
	{                                                                            \
		(label),                                                             \
		        { RW_W_RANGE(DEBUG_FAULT_ILLEGAL, DEBUG_FAULT_TEXT_WRITE),   \
			  RW_W_EQ(DEBUG_FAULT_MAGIC), RW_W_RANGE(0, 1), RW_W_ZERO }, \
		        { 0, 0, 0, 0 }, 0, 0                                         \
	}
#define KV_DEBUG_FAULT_RULE DEBUG_FAULT_RULE(KV_DEBUG_FAULT)
#define FS_DEBUG_FAULT_RULE DEBUG_FAULT_RULE(FS_DEBUG_FAULT)

/* Performs fault `kind` (1..6). Returns only if the fault did not stop the
 * task (a kernel bug) or kind is unknown. */
void debug_fault(long kind);

/* Sends a debug-fault request with label KV_DEBUG_FAULT or FS_DEBUG_FAULT.
 * Normally returns RW_EDEAD (the server died or restarted), RW_ERECOVERED
 * (txipc rolled it back) or another kernel error. */
static inline long debug_fault_call(rw_cap cap, uint64_t label, int kind, int dirty)
{
	rw_msg m = { label, { (uint64_t)(long)kind, DEBUG_FAULT_MAGIC, dirty ? 1 : 0, 0 }, 0 };

	return rw_rpc(cap, &m);
}

static inline long kv_debug_fault(rw_cap kv, int kind)
{
	return debug_fault_call(kv, KV_DEBUG_FAULT, kind, 0);
}

static inline long kv_debug_fault_dirty(rw_cap kv, int kind)
{
	return debug_fault_call(kv, KV_DEBUG_FAULT, kind, 1);
}

static inline long fs_debug_fault(rw_cap fs, int kind)
{
	return debug_fault_call(fs, FS_DEBUG_FAULT, kind, 0);
}

static inline long fs_debug_fault_dirty(rw_cap fs, int kind)
{
	return debug_fault_call(fs, FS_DEBUG_FAULT, kind, 1);
}

#endif
