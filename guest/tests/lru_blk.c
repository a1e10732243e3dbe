/*
 * lru_blk - a block driver written from the protocol (guest/abi/blk.proto,
 * <rewind/blk.h>) and the device contract (docs/DEVICES.md) alone, as an
 * outside author would, to test the kernel's block shadow on a driver it was
 * not tuned on (docs/RECOVERY.md, "A block driver the project never saw";
 * t_blk_wb.toml, kernel BlockShadowTest).
 *
 * Design, deliberately unlike a minimal driver:
 *   - its own receive loop and request checks (no rw_serve / rw_serve_ops);
 *   - its own session table: an open-addressing hash on the badge;
 *   - a 16-sector LRU cache.  Built with -DWRITE_THROUGH=1 a WRITE goes to the
 *     device before its reply (the cache keeps clean copies); without it the
 *     cache is write-back: a WRITE is acknowledged once its sectors sit dirty
 *     in the cache, and they reach the device when evicted or on FLUSH;
 *   - read misses are DMA'd straight into the IPC buffer (the IOMMU maps the
 *     driver's whole address space), cache hits copied over them;
 *   - every device command waits for its completion interrupt (rw_wait on the
 *     device capability), with the COMPLETED counter as the truth.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/blk.h>
#include <rewind/driver.h>

#ifndef WRITE_THROUGH
#define WRITE_THROUGH 0
#endif
/* With -DPOST_REPLY=1 (write-back): after each reply, before the next receive,
 * the least recently used dirty sector is written back (off the request's path;
 * t_blk_post.toml). */
#ifndef POST_REPLY
#define POST_REPLY 0
#endif

#define NAME (WRITE_THROUGH ? "lru_blk(wt)" : POST_REPLY ? "lru_blk(pr)" : "lru_blk(wb)")

/* Block device registers (docs/DEVICES.md). */
enum {
	R_STATUS = 0x10,
	R_IRQ_ENABLE = 0x14,
	R_IRQ_STATUS = 0x18,
	R_SECTOR_SIZE = 0x20,
	R_MAX_SECTORS = 0x24,
	R_CAPACITY = 0x28,
	R_SECTOR = 0x30,
	R_ADDR = 0x38,
	R_COUNT = 0x40,
	R_COMMAND = 0x44,
	R_CMD_STATUS = 0x48,
	R_COMPLETED = 0x4c,
};
enum { CMD_READ = 1, CMD_WRITE = 2, CMD_FLUSH = 3 };
#define IRQ_COMPLETION 1u

static uintptr_t regs;
static rw_cap dev;
#if POST_REPLY
/* The endpoint's slot that the receives name, kept in memory, where BlockShadowTest corrupts it
 * as a flipped register would. */
static volatile long recv_slot;
#endif
static uint64_t capacity;

/* ---- the device ------------------------------------------------------- */

/* Runs one command and waits for its completion; returns CMD_STATUS. */
static uint32_t device_command(uint32_t cmd, uint64_t sector, uint32_t count, void *addr)
{
	uint32_t before = rw_mmio_read32(regs, R_COMPLETED);

	rw_mmio_write64(regs, R_SECTOR, sector);
	rw_mmio_write64(regs, R_ADDR, (uint64_t)(uintptr_t)addr);
	rw_mmio_write32(regs, R_COUNT, count);
	rw_mmio_write32(regs, R_COMMAND, cmd);
	while (rw_mmio_read32(regs, R_COMPLETED) == before) {
		uint64_t bits;
		rw_wait(dev, &bits);
	}
	rw_mmio_write32(regs, R_IRQ_STATUS, IRQ_COMPLETION);
	return rw_mmio_read32(regs, R_CMD_STATUS);
}

/* ---- sessions: open addressing on the badge --------------------------- */

#define NSESS 64 /* at most this many open sessions */
#define HSIZE 128

struct sess {
	uint64_t badge;
	uint8_t state; /* 0 empty, 1 live, 2 tombstone */
	uint8_t rdonly;
};
static struct sess sessions[HSIZE];
static unsigned nsessions;

static unsigned hash(uint64_t b)
{
	b ^= b >> 33;
	b *= 0xff51afd7ed558ccdULL;
	b ^= b >> 33;
	return (unsigned)b & (HSIZE - 1);
}

static struct sess *sess_find(uint64_t badge)
{
	unsigned h = hash(badge);
	for (unsigned i = 0; i < HSIZE; i++) {
		struct sess *s = &sessions[(h + i) & (HSIZE - 1)];
		if (s->state == 0)
			return NULL;
		if (s->state == 1 && s->badge == badge)
			return s;
	}
	return NULL;
}

static long sess_open(uint64_t badge, int rdonly)
{
	struct sess *s = sess_find(badge);
	if (!s) {
		if (nsessions >= NSESS)
			return RW_ENOMEM;
		unsigned h = hash(badge);
		for (unsigned i = 0; i < HSIZE; i++) {
			s = &sessions[(h + i) & (HSIZE - 1)];
			if (s->state != 1)
				break;
		}
		s->state = 1;
		s->badge = badge;
		nsessions++;
	}
	s->rdonly = (uint8_t)rdonly;
	return 0;
}

static void sess_close(uint64_t badge)
{
	struct sess *s = sess_find(badge);
	if (s) {
		s->state = 2;
		nsessions--;
	}
}

/* ---- the cache -------------------------------------------------------- */

#define NSLOTS 16

struct slot {
	uint64_t sector;
	uint64_t used; /* LRU stamp */
	uint8_t valid, dirty;
};
static struct slot slots[NSLOTS];
static uint8_t cache[NSLOTS][BLK_SECTOR] __attribute__((aligned(64)));
static uint64_t clock_stamp;

static int lookup(uint64_t sector)
{
	for (int i = 0; i < NSLOTS; i++)
		if (slots[i].valid && slots[i].sector == sector)
			return i;
	return -1;
}

/* Writes slot i back if it is dirty; 0 or BLK_EIO. */
static long writeback(int i)
{
	if (!slots[i].dirty)
		return 0;
	if (device_command(CMD_WRITE, slots[i].sector, 1, cache[i]) != 0)
		return BLK_EIO;
	slots[i].dirty = 0;
	return 0;
}

/* A slot for `sector` (the one holding it, or the least recently used one,
 * written back first); -1 (BLK_EIO in *err) if that write-back failed. */
static int slot_for(uint64_t sector, long *err)
{
	int i = lookup(sector);
	if (i < 0) {
		int victim = 0;
		for (int j = 0; j < NSLOTS; j++) {
			if (!slots[j].valid) {
				victim = j;
				break;
			}
			if (slots[j].used < slots[victim].used)
				victim = j;
		}
		if ((*err = writeback(victim)) != 0)
			return -1;
		i = victim;
		slots[i].valid = 1;
		slots[i].dirty = 0;
		slots[i].sector = sector;
	}
	slots[i].used = ++clock_stamp;
	return i;
}

/* ---- requests --------------------------------------------------------- */

static long do_read(uint64_t sector, uint32_t count, uint8_t *buf)
{
	uint8_t hit[BLK_MAX_COUNT];
	uint32_t i = 0;

	for (uint32_t k = 0; k < count; k++) {
		int s = lookup(sector + k);
		hit[k] = s >= 0;
		if (s >= 0) {
			memcpy(buf + k * BLK_SECTOR, cache[s], BLK_SECTOR);
			slots[s].used = ++clock_stamp;
		}
	}
	/* Runs of misses straight from the device into the reply buffer. */
	while (i < count) {
		if (hit[i]) {
			i++;
			continue;
		}
		uint32_t j = i;
		while (j < count && !hit[j])
			j++;
		if (device_command(CMD_READ, sector + i, j - i, buf + i * BLK_SECTOR) != 0)
			return BLK_EIO;
		i = j;
	}
	/* Keep what was read (clean); a failed eviction just leaves it out. */
	for (uint32_t k = 0; k < count; k++) {
		long err;
		if (hit[k])
			continue;
		int s = slot_for(sector + k, &err);
		if (s >= 0)
			memcpy(cache[s], buf + k * BLK_SECTOR, BLK_SECTOR);
	}
	return 0;
}

static long do_write(uint64_t sector, uint32_t count, const uint8_t *buf)
{
	long err = 0;

	if (WRITE_THROUGH && device_command(CMD_WRITE, sector, count, (void *)(uintptr_t)buf) != 0)
		return BLK_EIO;
	for (uint32_t k = 0; k < count; k++) {
		int s = slot_for(sector + k, &err);
		if (s < 0)
			return err;
		memcpy(cache[s], buf + k * BLK_SECTOR, BLK_SECTOR);
		slots[s].dirty = !WRITE_THROUGH;
	}
	return 0;
}

static long do_flush(void)
{
	/* Dirty sectors in ascending order, then the device's FLUSH. */
	for (;;) {
		int best = -1;
		for (int i = 0; i < NSLOTS; i++)
			if (slots[i].valid && slots[i].dirty &&
			    (best < 0 || slots[i].sector < slots[best].sector))
				best = i;
		if (best < 0)
			break;
		if (writeback(best) != 0)
			return BLK_EIO;
	}
	return device_command(CMD_FLUSH, 0, 0, 0) == 0 ? 0 : BLK_EIO;
}

static int words_zero(const rw_msg *m, int from)
{
	for (int i = from; i < 4; i++)
		if (m->w[i])
			return 0;
	return 1;
}

/* One request in *m (data in the IPC buffer); leaves the reply in *m. */
static void handle(rw_msg *m, uint64_t badge)
{
	uint8_t *buf = rw_ipc_buf();
	uint64_t op = m->label;
	long st;

	if ((op >> 16) != BLK_MAGIC || (op & 0xffff) < 1 || (op & 0xffff) > 6) {
		st = RW_ENOSYS;
		goto out;
	}
	/* Malformed requests first, then the session, then the range. */
	switch (op) {
	case BLK_INFO:
	case BLK_CLOSE:
	case BLK_FLUSH:
		st = words_zero(m, 0) && m->len == 0 ? 0 : RW_EINVAL;
		break;
	case BLK_OPEN:
		st = (m->w[0] & ~(uint64_t)BLK_O_RDONLY) == 0 && words_zero(m, 1) && m->len == 0
		             ? 0
		             : RW_EINVAL;
		break;
	default: /* READ, WRITE */
		st = m->w[1] >= 1 && m->w[1] <= BLK_MAX_COUNT && words_zero(m, 2) &&
		                     m->len == (op == BLK_WRITE ? m->w[1] * BLK_SECTOR : 0)
		             ? 0
		             : RW_EINVAL;
	}
	if (st)
		goto out;

	if (op == BLK_INFO) {
		m->w[0] = BLK_SECTOR;
		m->w[1] = capacity;
		goto out;
	}
	if (op == BLK_OPEN) {
		st = sess_open(badge, (int)(m->w[0] & BLK_O_RDONLY));
		m->w[0] = 0;
		goto out;
	}
	if (op == BLK_CLOSE) {
		sess_close(badge);
		goto out;
	}
	struct sess *s = sess_find(badge);
	if (!s) {
		st = BLK_ENOTOPEN;
		goto out;
	}
	if (op != BLK_READ && s->rdonly) {
		st = BLK_EROFS;
		goto out;
	}
	if (op == BLK_FLUSH) {
		st = do_flush();
		goto out;
	}
	uint64_t sector = m->w[0];
	uint32_t count = (uint32_t)m->w[1];
	if (sector >= capacity || count > capacity - sector) {
		st = BLK_ERANGE;
		goto out;
	}
	st = op == BLK_READ ? do_read(sector, count, buf) : do_write(sector, count, buf);
	if (st == 0) {
		m->w[0] = count;
		m->len = op == BLK_READ ? (uint64_t)count * BLK_SECTOR : 0;
		m->label = 0;
		m->w[1] = m->w[2] = m->w[3] = 0;
		return;
	}
out:
	m->label = (uint64_t)st;
	if (st || op != BLK_INFO) {
		m->w[0] = m->w[1] = 0;
	}
	m->w[2] = m->w[3] = 0;
	m->len = 0;
}

int main(void)
{
	rw_cap ep;
	rw_msg m;
	uint64_t badge;

	RW_ASSERT(rw_device_open("disk0", RW_DEV_BLOCK, &regs, &dev) == 0);
	RW_ASSERT(rw_mmio_read32(regs, R_STATUS) & 1);
	RW_ASSERT(rw_mmio_read32(regs, R_SECTOR_SIZE) == BLK_SECTOR);
	RW_ASSERT(rw_mmio_read32(regs, R_MAX_SECTORS) >= BLK_MAX_COUNT);
	capacity = rw_mmio_read64(regs, R_CAPACITY);
	rw_mmio_write32(regs, R_IRQ_ENABLE, IRQ_COMPLETION);
	RW_ASSERT(rw_cap_get("blk", &ep) == 0);
	printf("%s: ready (%lu sectors)\n", NAME, (unsigned long)capacity);

#if POST_REPLY
	recv_slot = ep.slot;
#define RECV_EP RW_CAP(recv_slot)
#else
#define RECV_EP ep
#endif
	long r = rw_recv(RECV_EP, &m, &badge);
	for (;;) {
		if (r < 0) {
			/* No request (the reply could not be sent, or a kernel
			 * error): wait for the next one. */
			r = rw_recv(RECV_EP, &m, &badge);
			continue;
		}
		handle(&m, badge);
#if POST_REPLY
		RW_ASSERT(rw_reply(&m) == 0);
		int lru = -1;
		for (int j = 0; j < NSLOTS; j++)
			if (slots[j].valid && slots[j].dirty &&
			    (lru < 0 || slots[j].used < slots[lru].used))
				lru = j;
		if (lru >= 0)
			(void)writeback(lru); /* (a failure leaves it dirty: FLUSH reports it) */
		r = rw_recv(RECV_EP, &m, &badge);
#else
		r = rw_reply_recv(ep, &m, &badge);
#endif
	}
}
