/*
 * heap_driver: a driver (it owns a device) whose heap grows towards its
 * device-register window.  Built linked so that its data lies just below the
 * window (heap_driver.elf) or on it (heap_driver_over.elf, which must not
 * boot).  Grows the heap in 4 KiB steps until sbrk fails, then reads a
 * register of its device.  Prints "heap_driver: enomem after N bytes, errno
 * ok, device id I kind K" and exits 0.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <rewind/rewind.h>

int main(void)
{
	long dev = rw_cap_lookup_str("timer0");
	uintptr_t base = 0;
	size_t size = 0;
	unsigned kind = 0;
	unsigned long bytes = 0;

	if (dev < 0 || rw_device_info(RW_CAP(dev), &base, &size, &kind) < 0) {
		printf("heap_driver: FAIL no device\n");
		return 1;
	}
	for (;;) {
		long prev = rw_sbrk(4096);
		if (prev == RW_ENOMEM)
			break;
		if (prev < 0) {
			printf("heap_driver: FAIL sbrk: %ld\n", prev);
			return 1;
		}
		if ((uintptr_t)prev + 4096 > base && (uintptr_t)prev < base + size) {
			printf("heap_driver: FAIL heap at 0x%lx overlaps the registers\n",
			       (unsigned long)prev);
			return 1;
		}
		*(volatile uint64_t *)(uintptr_t)prev = 1;
		bytes += 4096;
	}
	errno = 0;
	int enomem = sbrk(4096) == (void *)-1 && errno == ENOMEM;
	/* the registers still work */
	unsigned id = ((volatile uint32_t *)base)[1]; /* DEVICE_ID */
	printf("heap_driver: enomem after %lu bytes, errno %s, device id %u kind %u\n", bytes,
	       enomem ? "ok" : "wrong", id, kind);
	return 0;
}
