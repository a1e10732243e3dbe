/*
 * ticker - drives the timer device "timer0" directly (this task owns it).
 *
 * 1. One-shot of ONESHOT_NS: waits for the interrupt, then checks that
 *    EXPIRATIONS is 1 and that NOW advanced by at least ONESHOT_NS.
 * 2. Periodic every PERIOD_NS: waits for NTICKS interrupts (acknowledging
 *    each), then checks that EXPIRATIONS (counted since the start, missed
 *    periods included) is at least NTICKS and that NOW advanced by at least
 *    NTICKS periods; stops the timer and checks that it is not RUNNING.
 * Ends with "ticker: ok oneshot_ns=T periodic=N" (N = EXPIRATIONS at the
 * stop; exit 0) or "ticker: FAIL <why>" (exit 1).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <rewind/driver.h>

#define PROG       "ticker"
#define DEV_NAME   "timer0"
#define ONESHOT_NS 2000000ULL /* 2 ms */
#define PERIOD_NS  1000000ULL /* 1 ms */
#define NTICKS     20

/* ---- device registers (docs/DEVICES.md) ---- */
#define REG_MAGIC       0x00
#define REG_DEVICE_ID   0x04
#define REG_ERROR       0x0c
#define REG_STATUS      0x10
#define REG_IRQ_ENABLE  0x14
#define REG_IRQ_STATUS  0x18
#define REG_CONTROL     0x1c
#define REG_NOW         0x20 /* 64-bit */
#define REG_INTERVAL    0x28 /* 64-bit */
#define REG_COMMAND     0x30
#define REG_EXPIRATIONS 0x34

#define DEV_MAGIC      0x56445752u /* "RWDV" */
#define DEV_ID_TIMER   3u
#define STATUS_RUNNING 1u
#define IRQ_EXPIRED    1u
#define CONTROL_RESET  1u
#define CMD_ONESHOT    1u
#define CMD_PERIODIC   2u
#define CMD_STOP       3u

static rw_cap dev;
static uintptr_t base;

static __attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	printf("%s: FAIL %s\n", PROG, msg);
	exit(1);
}

/* Waits for one EXPIRED interrupt (IRQ_STATUS is the truth, the
 * notification only wakes us) and acknowledges it. */
static void wait_tick(const char *what)
{
	uint64_t bits = 0;

	while (!(rw_mmio_read32(base, REG_IRQ_STATUS) & IRQ_EXPIRED)) {
		long r = rw_wait(dev, &bits);
		if (r < 0)
			fail("%s: wait: %s", what, rw_strerror(r));
	}
	rw_mmio_write32(base, REG_IRQ_STATUS, IRQ_EXPIRED);
}

int main(void)
{
	long r = rw_device_open(DEV_NAME, RW_DEV_TIMER, &base, &dev);

	if (r < 0)
		fail("cannot open device \"%s\": %s", DEV_NAME, rw_strerror(r));
	rw_mmio_write32(base, REG_IRQ_STATUS, IRQ_EXPIRED);
	rw_poll(dev, NULL); /* drop a stale wake-up */
	rw_mmio_write32(base, REG_IRQ_ENABLE, IRQ_EXPIRED);

	/* 1. one-shot */
	rw_mmio_write64(base, REG_INTERVAL, ONESHOT_NS);
	uint64_t t0 = rw_mmio_read64(base, REG_NOW);
	rw_mmio_write32(base, REG_COMMAND, CMD_ONESHOT);
	wait_tick("one-shot");
	uint64_t t1 = rw_mmio_read64(base, REG_NOW);
	uint32_t exp = rw_mmio_read32(base, REG_EXPIRATIONS);
	if (exp != 1)
		fail("one-shot: EXPIRATIONS = %lu, expected 1", (unsigned long)exp);
	if (t1 - t0 < ONESHOT_NS)
		fail("one-shot: fired after %lu ns, expected >= %lu", (unsigned long)(t1 - t0),
		     (unsigned long)ONESHOT_NS);
	uint32_t err = rw_mmio_read32(base, REG_ERROR);
	if (err)
		fail("one-shot: device ERROR = %lu", (unsigned long)err);

	/* 2. periodic */
	rw_mmio_write64(base, REG_INTERVAL, PERIOD_NS);
	uint64_t t2 = rw_mmio_read64(base, REG_NOW);
	rw_mmio_write32(base, REG_COMMAND, CMD_PERIODIC);
	for (int i = 0; i < NTICKS; i++)
		wait_tick("periodic");
	uint64_t t3 = rw_mmio_read64(base, REG_NOW);
	uint32_t periodic = rw_mmio_read32(base, REG_EXPIRATIONS);
	rw_mmio_write32(base, REG_COMMAND, CMD_STOP);
	if (periodic < NTICKS)
		fail("periodic: EXPIRATIONS = %lu after %d interrupts", (unsigned long)periodic,
		     NTICKS);
	if (t3 - t2 < NTICKS * PERIOD_NS)
		fail("periodic: %d interrupts in %lu ns, expected >= %lu", NTICKS,
		     (unsigned long)(t3 - t2), (unsigned long)(NTICKS * PERIOD_NS));
	if (rw_mmio_read32(base, REG_STATUS) & STATUS_RUNNING)
		fail("still RUNNING after STOP");
	if ((err = rw_mmio_read32(base, REG_ERROR)) != 0)
		fail("periodic: device ERROR = %lu", (unsigned long)err);
	rw_mmio_write32(base, REG_IRQ_ENABLE, 0);

	printf("%s: ok oneshot_ns=%lu periodic=%lu\n", PROG, (unsigned long)(t1 - t0),
	       (unsigned long)periodic);
	return 0;
}
