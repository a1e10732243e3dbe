/*
 * dev_probe - device access rules, seen from the guest.
 *
 * Default build: owns device "timer0".  Checks the common registers, then
 * misuses them on purpose (bad offset, bad width, write to a read-only
 * register, read of a write-only one, bad command, bad value) and checks
 * that each is refused with its documented ERROR code instead of a fault.
 * Prints "dev_probe: misuse ok", or says what differed.  Then the timer's
 * interrupt as a notification on the device capability, one line each:
 *   "dev_probe: irq disabled: pending=P notified=N" - a one-shot expired with
 *     IRQ_ENABLE 0: the cause is pending in IRQ_STATUS, no notification;
 *   "dev_probe: irq enabled late: notified=N" - enabling the pending cause
 *     raises the line;
 *   "dev_probe: irq enabled: notified=N pending=P" - a one-shot with the
 *     cause enabled wakes rw_wait.
 * (N is the notification bits read, P the IRQ_STATUS cause bits.)  Exits 0
 * when every check held.
 *
 * -DPROBE_INTRUDER: owns nothing and reads the first device's registers,
 * which are not mapped in this task: it must die of an unmapped read.
 */
#include <stdio.h>
#include <rewind/driver.h>

#define MAGIC          0x00
#define DEVICE_ID      0x04
#define VERSION        0x08
#define ERROR          0x0c
#define TIMER_COMMAND  0x30
#define TIMER_INTERVAL 0x28
#define STATUS         0x10
#define IRQ_ENABLE     0x14
#define IRQ_STATUS     0x18
#define TIMER_NOW      0x20
#define STATUS_RUNNING 1u
#define IRQ_EXPIRED    1u
#define CMD_ONESHOT    1u
#define ONESHOT_NS     1000000ULL /* 1 ms */

#ifndef PROBE_INTRUDER
static int failures;

static void expect(const char *what, uint64_t got, uint64_t want)
{
	if (got != want) {
		printf("dev_probe: %s: got 0x%lx, want 0x%lx\n", what, (unsigned long)got,
		       (unsigned long)want);
		failures++;
	}
}

/* Starts a one-shot of ONESHOT_NS and yields until it is no longer RUNNING
 * (the kernel polls its devices between slices); 0, or -1 if it never ends. */
static int oneshot_to_end(uintptr_t base)
{
	uint64_t t0 = rw_mmio_read64(base, TIMER_NOW);

	rw_mmio_write64(base, TIMER_INTERVAL, ONESHOT_NS);
	rw_mmio_write32(base, TIMER_COMMAND, CMD_ONESHOT);
	while (rw_mmio_read32(base, STATUS) & STATUS_RUNNING) {
		if (rw_mmio_read64(base, TIMER_NOW) - t0 > 5000000000ULL)
			return -1;
		rw_yield();
	}
	return 0;
}

/* The interrupt seen as a notification; prints what it saw, checks it. */
static void interrupts(rw_cap dev, uintptr_t base)
{
	uint64_t bits = 0;

	rw_mmio_write32(base, IRQ_ENABLE, 0);
	rw_mmio_write32(base, IRQ_STATUS, IRQ_EXPIRED);
	rw_poll(dev, NULL); /* nothing should be pending; drop it if it is */

	/* Disabled: the cause latches, the line stays low. */
	expect("one-shot ends (disabled)", (uint64_t)oneshot_to_end(base), 0);
	uint32_t pending = rw_mmio_read32(base, IRQ_STATUS) & IRQ_EXPIRED;
	expect("poll (disabled)", (uint64_t)rw_poll(dev, &bits), 0);
	printf("dev_probe: irq disabled: pending=%u notified=%lu\n", (unsigned)pending,
	       (unsigned long)bits);
	expect("cause pending while disabled", pending, IRQ_EXPIRED);
	expect("no notification while disabled", bits, 0);

	/* Enabling the pending cause raises the line. */
	rw_mmio_write32(base, IRQ_ENABLE, IRQ_EXPIRED);
	bits = 0;
	expect("poll (enabled late)", (uint64_t)rw_poll(dev, &bits), 0);
	printf("dev_probe: irq enabled late: notified=%lu\n", (unsigned long)bits);
	expect("notification on enabling a pending cause", bits & 1, 1);
	rw_mmio_write32(base, IRQ_STATUS, IRQ_EXPIRED);
	rw_poll(dev, NULL);

	/* Enabled: the expiry wakes rw_wait. */
	rw_mmio_write64(base, TIMER_INTERVAL, ONESHOT_NS);
	rw_mmio_write32(base, TIMER_COMMAND, CMD_ONESHOT);
	bits = 0;
	expect("wait (enabled)", (uint64_t)rw_wait(dev, &bits), 0);
	pending = rw_mmio_read32(base, IRQ_STATUS) & IRQ_EXPIRED;
	printf("dev_probe: irq enabled: notified=%lu pending=%u\n", (unsigned long)bits,
	       (unsigned)pending);
	expect("notification when enabled", bits & 1, 1);
	expect("cause pending after the wake-up", pending, IRQ_EXPIRED);
	rw_mmio_write32(base, IRQ_STATUS, IRQ_EXPIRED);
	rw_mmio_write32(base, IRQ_ENABLE, 0);
}

#endif

int main(void)
{
#ifdef PROBE_INTRUDER
	volatile uint32_t *regs = (volatile uint32_t *)(uintptr_t)RW_MMIO_BASE;
	printf("dev_probe: reading another task's device registers\n");
	uint32_t v = regs[0];
	printf("dev_probe: FAIL read 0x%x\n", v);
	return 1;
#else
	long dev = rw_cap_lookup_str("timer0");
	uintptr_t base = 0;
	size_t size = 0;
	unsigned kind = 0;

	expect("lookup", dev >= 0, 1);
	expect("device_info", (uint64_t)rw_device_info(RW_CAP(dev), &base, &size, &kind), 0);
	expect("base", base, RW_MMIO_BASE);
	expect("size", size, RW_MMIO_STRIDE);
	expect("kind", kind, RW_DEV_TIMER);
	expect("device_info on a bad cap", (uint64_t)rw_device_info(RW_CAP(77), 0, 0, 0),
	       (uint64_t)RW_ECAP);
	expect("MAGIC", rw_mmio_read32(base, MAGIC), 0x56445752);
	expect("DEVICE_ID", rw_mmio_read32(base, DEVICE_ID), 3);
	expect("VERSION", rw_mmio_read32(base, VERSION), 1);
	expect("no error yet", rw_mmio_read32(base, ERROR), 0);

	expect("bad offset reads 0", rw_mmio_read32(base, 0x800), 0);
	expect("ERROR after bad offset", rw_mmio_read32(base, ERROR), 1);
	expect("ERROR read clears", rw_mmio_read32(base, ERROR), 0);
	(void)*(volatile uint8_t *)(base + MAGIC);
	expect("ERROR after bad width", rw_mmio_read32(base, ERROR), 2);
	rw_mmio_write32(base, MAGIC, 1);
	expect("ERROR after write to read-only", rw_mmio_read32(base, ERROR), 3);
	expect("MAGIC unchanged", rw_mmio_read32(base, MAGIC), 0x56445752);
	(void)rw_mmio_read32(base, TIMER_COMMAND);
	expect("ERROR after read of write-only", rw_mmio_read32(base, ERROR), 4);
	rw_mmio_write32(base, TIMER_COMMAND, 99);
	expect("ERROR after bad command", rw_mmio_read32(base, ERROR), 5);
	rw_mmio_write64(base, TIMER_INTERVAL, 5);
	expect("ERROR after bad value", rw_mmio_read32(base, ERROR), 6);

	if (failures) {
		printf("dev_probe: FAIL %d check(s)\n", failures);
		return 1;
	}
	printf("dev_probe: misuse ok\n");

	interrupts(RW_CAP(dev), base);
	if (failures) {
		printf("dev_probe: FAIL %d interrupt check(s)\n", failures);
		return 1;
	}
	return 0;
#endif
}
