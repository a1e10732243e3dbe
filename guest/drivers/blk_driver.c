/*
 * blk_driver - block driver serving endpoint "blk" for device "disk0".
 *
 * Protocol: see <rewind/blk.h>, guest/abi/blk.proto (rw_dispatch checks
 * each request's words and buffer length against the rules generated from
 * it) and docs/DEVICES.md.  Every request moves at
 * most BLK_MAX_COUNT sectors (one IPC buffer), DMA'd straight between the
 * disk and the IPC buffer; the device's ADDR register takes our own virtual
 * address (the device's IOMMU uses this task's page table).  Commands run one at a time:
 * write SECTOR / ADDR / COUNT, store COMMAND, wait for the completion
 * interrupt, read CMD_STATUS, acknowledge IRQ_STATUS.
 *
 * State: the geometry read from the device at start, and the open sessions
 * (client badge -> flags) in a small table.  Every request field is checked:
 * garbage gets RW_EINVAL, never a crash.
 *
 * Restartable: the driver resets the device (CONTROL = RESET) when it starts
 * and keeps nothing that a client cannot rebuild by repeating its requests,
 * so under recovery = "shadow" the kernel re-issues the sessions' BLK_OPENs
 * and the request in flight, and the driver carries on.  A WRITE is atomic at
 * the device (all or nothing), so repeating one is harmless.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/blk.h>
#include <rewind/driver.h>

#define DEV_NAME "disk0" /* the block device this driver owns */
#define EP_NAME  "blk"   /* the endpoint it serves */

/* ---- device registers (docs/DEVICES.md) ---- */
#define REG_MAGIC       0x00
#define REG_DEVICE_ID   0x04
#define REG_STATUS      0x10
#define REG_IRQ_ENABLE  0x14
#define REG_IRQ_STATUS  0x18
#define REG_CONTROL     0x1c
#define REG_SECTOR_SIZE 0x20
#define REG_MAX_SECTORS 0x24
#define REG_CAPACITY    0x28 /* 64-bit */
#define REG_SECTOR      0x30 /* 64-bit */
#define REG_ADDR        0x38 /* 64-bit */
#define REG_COUNT       0x40
#define REG_COMMAND     0x44
#define REG_CMD_STATUS  0x48

#define DEV_MAGIC      0x56445752u /* "RWDV" */
#define DEV_ID_BLOCK   2u
#define STATUS_READY   1u
#define IRQ_COMPLETION 1u
#define CONTROL_RESET  1u

#define CMD_READ  1u
#define CMD_WRITE 2u
#define CMD_FLUSH 3u

#define CS_OK           0u
#define CS_OUT_OF_RANGE 2u

#define MAX_SESSIONS 64

static rw_session sessions[MAX_SESSIONS]; /* client badge -> flags */
static rw_cap dev;                        /* device capability */
static uintptr_t base;                    /* its registers */
static uint64_t capacity;                 /* sectors */
static uint32_t max_sectors;              /* most sectors per device command */

/*
 * The DMA buffer is the IPC buffer itself: a WRITE's data arrives there and
 * a READ's reply leaves from there, so the device moves the bytes straight
 * between the disk and the message, and the driver copies nothing (every
 * guest store costs ~85 ns on Unicorn 2.0.1: a 4 KiB memcpy is ~0.3 ms).
 */
static uint8_t *dma;

_Static_assert(BLK_MAX_COUNT *BLK_SECTOR <= RW_IPC_BUF_SIZE, "DMA buffer too small");

/* ---- device ---- */

/*
 * Runs one device command on the DMA buffer (offset off).  Returns the
 * CMD_STATUS value, or -1 if waiting for the interrupt failed.
 */
static long run_command(uint32_t cmd, uint64_t sector, uint32_t count, size_t off)
{
	uint64_t bits = 0;

	/* Drop a stale completion and its stale wake-up, if any. */
	rw_mmio_write32(base, REG_IRQ_STATUS, IRQ_COMPLETION);
	rw_poll(dev, &bits);

	rw_mmio_write64(base, REG_SECTOR, sector);
	rw_mmio_write64(base, REG_ADDR, (uint64_t)(uintptr_t)(dma + off));
	rw_mmio_write32(base, REG_COUNT, count);
	rw_mmio_write32(base, REG_COMMAND, cmd);

	/*
	 * IRQ_STATUS is the truth; the notification only wakes us.  (This
	 * device completes inside the COMMAND store, so normally no wait.)
	 */
	while (!(rw_mmio_read32(base, REG_IRQ_STATUS) & IRQ_COMPLETION)) {
		if (rw_wait(dev, &bits) < 0)
			return -1;
	}
	uint32_t st = rw_mmio_read32(base, REG_CMD_STATUS);
	rw_mmio_write32(base, REG_IRQ_STATUS, IRQ_COMPLETION);
	return st;
}

/* Moves count sectors between the disk and the DMA buffer, in pieces of at
 * most max_sectors.  Returns 0 or a BLK_E* code. */
static long transfer(uint32_t cmd, uint64_t sector, uint32_t count)
{
	uint32_t done = 0;

	while (done < count) {
		uint32_t n = count - done < max_sectors ? count - done : max_sectors;
		long st = run_command(cmd, sector + done, n, (size_t)done * BLK_SECTOR);
		if (st == CS_OUT_OF_RANGE)
			return BLK_ERANGE;
		if (st != CS_OK)
			return BLK_EIO;
		done += n;
	}
	return 0;
}

/* ---- sessions ---- */

static rw_session *find_session(uint64_t badge)
{
	return rw_session_find(sessions, MAX_SESSIONS, badge);
}

/* Checks that the caller has a session, writable if asked. */
static long need_session(uint64_t badge, int writable)
{
	rw_session *s = find_session(badge);

	if (!s)
		return BLK_ENOTOPEN;
	if (writable && (s->value & BLK_O_RDONLY))
		return BLK_EROFS;
	return 0;
}

/* ---- requests ---- */

static long do_info(const rw_request *r)
{
	r->out->w[0] = BLK_SECTOR;
	r->out->w[1] = capacity;
	return 0;
}

static long do_open(const rw_request *r)
{
	/* reopening replaces the flags */
	return rw_session_open(sessions, MAX_SESSIONS, r->badge, r->in->w[0]) ? 0 : RW_ENOMEM;
}

/* Closing without a session is not an error (a repeated CLOSE is harmless). */
static long do_close(const rw_request *r)
{
	rw_session_close(sessions, MAX_SESSIONS, r->badge);
	return 0;
}

/* Past the end of the disk (overflow-safe). */
static int out_of_range(uint64_t sector, uint64_t count)
{
	return sector >= capacity || count > capacity - sector;
}

/* READ (no data) / WRITE (count sectors of data): the rule checked count
 * (w1, 1..BLK_MAX_COUNT) and the length; the sector (w0) is checked against
 * the capacity here. */
static long do_read(const rw_request *r)
{
	long st = need_session(r->badge, 0);
	if (st < 0)
		return st;
	uint64_t sector = r->in->w[0];
	uint32_t count = (uint32_t)r->in->w[1];
	if (out_of_range(sector, count))
		return BLK_ERANGE;
	if ((st = transfer(CMD_READ, sector, count)) < 0)
		return st;
	r->out->w[0] = count; /* the data is already in the IPC buffer */
	r->out->len = (uint64_t)count * BLK_SECTOR;
	return 0;
}

static long do_write(const rw_request *r)
{
	long st = need_session(r->badge, 1);
	if (st < 0)
		return st;
	uint64_t sector = r->in->w[0];
	uint32_t count = (uint32_t)r->in->w[1];
	if (out_of_range(sector, count))
		return BLK_ERANGE;
	if ((st = transfer(CMD_WRITE, sector, count)) < 0)
		return st;
	r->out->w[0] = count;
	return 0;
}

static long do_flush(const rw_request *r)
{
	long st = need_session(r->badge, 1);
	if (st < 0)
		return st;
	/* SECTOR / ADDR / COUNT are unused by FLUSH; give them valid values. */
	return run_command(CMD_FLUSH, 0, 1, 0) == CS_OK ? 0 : BLK_EIO;
}

static const rw_op ops[] = { BLK_OPS(do_) };

/* Finds, checks and resets the device; reads its geometry. Returns 0 or -1. */
static int device_init(void)
{
	long r = rw_device_open(DEV_NAME, RW_DEV_BLOCK, &base, &dev);

	if (r < 0) {
		printf("blk: cannot open device \"%s\": %s\n", DEV_NAME, rw_strerror(r));
		return -1;
	}
	if (rw_mmio_read32(base, REG_SECTOR_SIZE) != BLK_SECTOR) {
		printf("blk: unsupported sector size %u\n",
		       (unsigned)rw_mmio_read32(base, REG_SECTOR_SIZE));
		return -1;
	}
	max_sectors = rw_mmio_read32(base, REG_MAX_SECTORS);
	if (max_sectors == 0 || max_sectors > BLK_MAX_COUNT)
		max_sectors = BLK_MAX_COUNT; /* 0: nonsense; more: never needed */
	capacity = rw_mmio_read64(base, REG_CAPACITY);
	if (!(rw_mmio_read32(base, REG_STATUS) & STATUS_READY))
		printf("blk: no disk attached\n"); /* commands will fail: EIO */
	rw_mmio_write32(base, REG_IRQ_ENABLE, IRQ_COMPLETION);
	dma = (uint8_t *)rw_ipc_buf();
	return 0;
}

int main(void)
{
	rw_cap ep;
	long r = rw_cap_get(EP_NAME, &ep);

	if (r < 0) {
		printf("blk: no endpoint \"%s\" (%s)\n", EP_NAME, rw_strerror(r));
		return 1;
	}
	if (device_init() < 0)
		return 1;
	printf("blk: ready (%lu sectors)\n", (unsigned long)capacity);
	rw_serve_ops(ep, ops, RW_NOPS(ops), NULL);
}
