/* librewind: opening a device the way every driver starts. */
#include <rewind/driver.h>

#define REG_MAGIC     0x00
#define REG_DEVICE_ID 0x04
#define REG_CONTROL   0x1c
#define DEV_MAGIC     0x56445752u /* "RWDV" */
#define CONTROL_RESET 1u

long rw_device_open(const char *name, unsigned kind, uintptr_t *base, rw_cap *dev)
{
	rw_cap cap;
	uintptr_t b = 0;
	size_t size = 0;
	unsigned k = 0;
	long r = rw_cap_get(name, &cap);

	if (r < 0)
		return r;
	r = rw_device_info(cap, &b, &size, &k);
	if (r < 0)
		return r;
	if (k != kind)
		return RW_EINVAL;
	if (rw_mmio_read32(b, REG_MAGIC) != DEV_MAGIC || rw_mmio_read32(b, REG_DEVICE_ID) != kind)
		return RW_EIO;
	rw_mmio_write32(b, REG_CONTROL, CONTROL_RESET);
	if (base)
		*base = b;
	if (dev)
		*dev = cap;
	return 0;
}
