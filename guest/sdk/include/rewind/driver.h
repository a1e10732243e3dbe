/*
 * driver.h - helpers for device drivers: opening a device, MMIO register
 * access, and per-client sessions.  See docs/DEVICES.md for the devices.
 */
#ifndef REWIND_DRIVER_H
#define REWIND_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <rewind/rewind.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opens device `name` (a device capability of this task) the way a driver
 * starts: checks that it is a device of kind `kind` (RW_DEV_*) with Rewind's
 * register magic, resets it (CONTROL = RESET: a restarted driver starts
 * from power-on state), stores its register base in *base and its
 * capability in *dev (rw_wait on it waits for the interrupt).  Returns 0 or
 * RW_ENOENT (no such capability), RW_ECAP (not a device), RW_EINVAL (a
 * device of another kind) or RW_EIO (bad magic or device id). */
long rw_device_open(const char *name, unsigned kind, uintptr_t *base, rw_cap *dev);

/* A driver's per-client sessions: a small table keyed by the caller's
 * badge, holding one value (flags, mode) per client.  rw_session_open finds
 * the caller's session or takes a free slot, and sets its value (reopening
 * replaces it); NULL when the table is full.  rw_session_close of a client
 * without a session does nothing. */
typedef struct rw_session {
	uint8_t used;
	uint64_t badge;
	uint64_t value;
} rw_session;

rw_session *rw_session_find(rw_session *table, size_t n, uint64_t badge);
rw_session *rw_session_open(rw_session *table, size_t n, uint64_t badge, uint64_t value);
void rw_session_close(rw_session *table, size_t n, uint64_t badge);

/* 32- and 64-bit MMIO register access: one access each, in program order.
 * Each access is fenced for the compiler (an empty asm that clobbers memory)
 * on both sides: a volatile access alone keeps its own count and order, but
 * not its place among plain loads and stores, and GCC 12 at -O2 turned a
 * loop draining a ring to TXDATA (its index an unsigned global, which the
 * register may alias) into one that stored the last byte twice (loop store
 * motion replays the loop's last stores at its exit, the volatile one
 * included): guest/tests/ring_tty.c, docs/DEVICES.md. */
#define RW__MMIO_FENCE() __asm__ volatile("" ::: "memory")
static inline uint32_t rw_mmio_read32(uintptr_t base, unsigned off)
{
	RW__MMIO_FENCE();
	uint32_t v = *(volatile uint32_t *)(base + off);
	RW__MMIO_FENCE();
	return v;
}
static inline void rw_mmio_write32(uintptr_t base, unsigned off, uint32_t v)
{
	RW__MMIO_FENCE();
	*(volatile uint32_t *)(base + off) = v;
	RW__MMIO_FENCE();
}
static inline uint64_t rw_mmio_read64(uintptr_t base, unsigned off)
{
	RW__MMIO_FENCE();
	uint64_t v = *(volatile uint64_t *)(base + off);
	RW__MMIO_FENCE();
	return v;
}
static inline void rw_mmio_write64(uintptr_t base, unsigned off, uint64_t v)
{
	RW__MMIO_FENCE();
	*(volatile uint64_t *)(base + off) = v;
	RW__MMIO_FENCE();
}

#ifdef __cplusplus
}
#endif

#endif /* REWIND_DRIVER_H */
