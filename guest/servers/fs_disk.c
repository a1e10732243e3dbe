/*
 * fs_disk - the block layer of the rwfs disk format; see fs_disk.h and
 * docs/DEVICES.md ("Disk format (rwfs)").
 */
#include <stdio.h>
#include <string.h>
#include <rewind/blk.h>
#include "fs_disk.h"

#define HDR_MAGIC    "RWFS\0\0\0\1"
#define HDR_VERSION  1
#define HDR_CRC_LEN  64 /* the header CRC covers bytes 0..63 */
#define OFF_VERSION  8
#define OFF_HCRC     12
#define OFF_SEQ      16
#define OFF_CAPACITY 24
#define OFF_DLEN     32
#define OFF_DCRC     40

#define BUF_SECTORS BLK_MAX_COUNT
#define BUF_BYTES   (BUF_SECTORS * BLK_SECTOR)

struct header {
	uint64_t seq, dlen;
	uint32_t dcrc;
};

static rw_cap blk = RW_CAP(-1);
static uint64_t capacity;     /* sectors */
static uint64_t slot_sectors; /* H */
static int active = -1;       /* slot of the mounted snapshot */
static uint64_t active_seq, active_dlen;

/* The one data buffer: a window of the slot being read, or the sectors
 * being assembled for writing. */
static uint8_t buf[BUF_BYTES];

/* ---- CRC-32 (zlib) ---- */

static uint32_t crc_table[256];

uint32_t fsd_crc32(uint32_t crc, const void *data, size_t n)
{
	const uint8_t *p = data;

	if (!crc_table[1]) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
			crc_table[i] = c;
		}
	}
	crc = ~crc;
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- little-endian fields ---- */

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* ---- geometry ---- */

static uint64_t slot_first(int slot)
{
	return 2 + (uint64_t)slot * slot_sectors;
}

uint64_t fsd_slot_bytes(void)
{
	return slot_sectors * BLK_SECTOR;
}

long fsd_open(rw_cap cap)
{
	uint64_t ssize = 0, sectors = 0;
	long r = blk_open(cap, 0);

	if (r < 0)
		return r;
	r = blk_info(cap, &ssize, &sectors);
	if (r < 0)
		return r;
	if (ssize != BLK_SECTOR)
		return RW_EINVAL;
	blk = cap;
	capacity = sectors;
	slot_sectors = sectors >= 4 ? (sectors - 2) / 2 : 0;
	return 0;
}

uint64_t fsd_seq(void)
{
	return active_seq;
}
int fsd_slot(void)
{
	return active;
}
uint64_t fsd_data_len(void)
{
	return active_dlen;
}

/* ---- headers ---- */

/* Checks everything about a header but the data CRC. */
static int parse_header(const uint8_t *s, struct header *h)
{
	uint8_t tmp[HDR_CRC_LEN];

	if (memcmp(s, HDR_MAGIC, 8) != 0 || get_le(s + OFF_VERSION, 4) != HDR_VERSION)
		return 0;
	memcpy(tmp, s, HDR_CRC_LEN);
	memset(tmp + OFF_HCRC, 0, 4);
	if (fsd_crc32(0, tmp, HDR_CRC_LEN) != (uint32_t)get_le(s + OFF_HCRC, 4))
		return 0;
	if (get_le(s + OFF_CAPACITY, 8) != capacity)
		return 0;
	h->seq = get_le(s + OFF_SEQ, 8);
	h->dlen = get_le(s + OFF_DLEN, 8);
	h->dcrc = (uint32_t)get_le(s + OFF_DCRC, 4);
	return h->dlen >= 1 && h->dlen <= fsd_slot_bytes();
}

static void build_header(uint8_t *s, uint64_t seq, uint64_t dlen, uint32_t dcrc)
{
	memset(s, 0, BLK_SECTOR);
	memcpy(s, HDR_MAGIC, 8);
	put_le(s + OFF_VERSION, HDR_VERSION, 4);
	put_le(s + OFF_SEQ, seq, 8);
	put_le(s + OFF_CAPACITY, capacity, 8);
	put_le(s + OFF_DLEN, dlen, 8);
	put_le(s + OFF_DCRC, dcrc, 4);
	put_le(s + OFF_HCRC, fsd_crc32(0, s, HDR_CRC_LEN), 4);
}

/* ---- reading a slot ---- */

static struct {
	int slot;
	uint64_t dlen;      /* data length */
	uint64_t pos;       /* next byte fsd_get returns */
	uint64_t win, wlen; /* buf holds data bytes [win, win + wlen) */
} rd;

static void reader_start(int slot, uint64_t dlen)
{
	rd.slot = slot;
	rd.dlen = dlen;
	rd.pos = 0;
	rd.win = rd.wlen = 0;
}

/* Loads the window holding data byte rd.pos (< rd.dlen). */
static long reader_fill(void)
{
	uint64_t sector = rd.pos / BLK_SECTOR;
	uint64_t total = (rd.dlen + BLK_SECTOR - 1) / BLK_SECTOR;
	uint32_t count = total - sector < BUF_SECTORS ? (uint32_t)(total - sector) : BUF_SECTORS;
	long r = blk_read(blk, slot_first(rd.slot) + sector, count, buf);

	if (r < 0) {
		rd.wlen = 0;
		return r;
	}
	rd.win = sector * BLK_SECTOR;
	rd.wlen = (uint64_t)count * BLK_SECTOR;
	return 0;
}

long fsd_get(void *dst, size_t n)
{
	uint8_t *d = dst;

	if (n > rd.dlen - rd.pos)
		return FSD_ECORRUPT;
	while (n) {
		if (rd.pos < rd.win || rd.pos >= rd.win + rd.wlen) {
			long r = reader_fill();
			if (r < 0)
				return r;
		}
		uint64_t avail = rd.win + rd.wlen - rd.pos;
		size_t k = n < avail ? n : (size_t)avail;
		memcpy(d, buf + (rd.pos - rd.win), k);
		d += k;
		n -= k;
		rd.pos += k;
	}
	return 0;
}

uint64_t fsd_remaining(void)
{
	return rd.dlen - rd.pos;
}

/* Returns 1 if the slot's data has the CRC h records, 0 if not, or a block
 * error. */
static long data_crc_ok(int slot, const struct header *h)
{
	uint32_t crc = 0;

	reader_start(slot, h->dlen);
	while (rd.pos < rd.dlen) {
		long r = reader_fill();
		if (r < 0)
			return r;
		uint64_t k = rd.dlen - rd.pos < rd.wlen ? rd.dlen - rd.pos : rd.wlen;
		crc = fsd_crc32(crc, buf, (size_t)k);
		rd.pos += k;
	}
	return crc == h->dcrc;
}

long fsd_mount(long (*load)(void *ctx), void *ctx, uint64_t *seq)
{
	struct header h[2];
	int ok[2];

	for (int s = 0; s < 2; s++) {
		ok[s] = 0;
		if (slot_sectors == 0)
			continue;
		long r = blk_read(blk, (uint64_t)s, 1, buf);
		if (r < 0)
			return r;
		ok[s] = parse_header(buf, &h[s]);
	}
	/* Newest first; on a tie (never written so) slot A. Sequences compare
	 * as serial numbers, (int64_t)(a - b) > 0, so that a commit after
	 * 2^64 - 1 (which writes 0) is still the newer one (docs/DEVICES.md). */
	int order[2] = { 0, 1 };
	if (ok[0] && ok[1] && (int64_t)(h[1].seq - h[0].seq) > 0) {
		order[0] = 1;
		order[1] = 0;
	}
	for (int i = 0; i < 2; i++) {
		int s = order[i];
		if (!ok[s])
			continue;
		long r = data_crc_ok(s, &h[s]);
		if (r < 0)
			return r;
		if (r == 0) {
			printf("fs: slot %c (seq=%lu): data CRC mismatch, ignored\n", 'A' + s,
			       (unsigned long)h[s].seq);
			continue;
		}
		reader_start(s, h[s].dlen);
		r = load(ctx);
		if (r == 0 && fsd_remaining() != 0)
			r = FSD_ECORRUPT; /* bytes after the end record */
		if (r == FSD_ECORRUPT) {
			printf("fs: slot %c (seq=%lu): malformed snapshot, ignored\n", 'A' + s,
			       (unsigned long)h[s].seq);
			continue;
		}
		if (r < 0)
			return r;
		active = s;
		active_seq = h[s].seq;
		active_dlen = h[s].dlen;
		if (seq)
			*seq = active_seq;
		return 0;
	}
	return FSD_EUNFORMATTED;
}

/* ---- writing a slot ---- */

static struct {
	int slot;
	uint64_t pos;    /* data bytes put so far */
	uint64_t sector; /* slot-relative sector of buf[0] */
	size_t fill;     /* bytes in buf */
	uint32_t crc;
	long err;
} wr;

/* Writes out the buffered bytes (the last sector zero-padded) and empties
 * the buffer, even when that fails (wr.err then says so). */
static void writer_flush(void)
{
	uint32_t count = (uint32_t)((wr.fill + BLK_SECTOR - 1) / BLK_SECTOR);

	if (!wr.err && count) {
		memset(buf + wr.fill, 0, (size_t)count * BLK_SECTOR - wr.fill);
		long r = blk_write(blk, slot_first(wr.slot) + wr.sector, count, buf);
		if (r < 0)
			wr.err = r;
	}
	wr.sector += count;
	wr.fill = 0;
}

void fsd_put(const void *src, size_t n)
{
	const uint8_t *s = src;

	if (wr.err || n == 0)
		return;
	if (n > fsd_slot_bytes() - wr.pos) {
		wr.err = RW_ENOMEM;
		return;
	}
	wr.crc = fsd_crc32(wr.crc, s, n);
	wr.pos += n;
	while (n) {
		size_t k = BUF_BYTES - wr.fill < n ? BUF_BYTES - wr.fill : n;
		memcpy(buf + wr.fill, s, k);
		wr.fill += k;
		s += k;
		n -= k;
		if (wr.fill == BUF_BYTES) {
			writer_flush();
			if (wr.err)
				return;
		}
	}
}

static long commit_once(void (*emit)(void *ctx), void *ctx)
{
	int slot = active ^ 1;
	long r;

	memset(&wr, 0, sizeof wr);
	wr.slot = slot;
	emit(ctx);
	writer_flush();
	if (wr.err)
		return wr.err;
	if ((r = blk_flush(blk)) < 0)
		return r;
	build_header(buf, active_seq + 1, wr.pos, wr.crc);
	if ((r = blk_write(blk, (uint64_t)slot, 1, buf)) < 0)
		return r;
	if ((r = blk_flush(blk)) < 0)
		return r;
	active = slot;
	active_seq++;
	active_dlen = wr.pos;
	return 0;
}

long fsd_commit(void (*emit)(void *ctx), void *ctx)
{
	if (blk.slot < 0 || active < 0)
		return RW_ESTATE;
	long r = commit_once(emit, ctx);
	if (r == RW_EDEAD || r == BLK_ENOTOPEN) {
		if (r == RW_EDEAD)
			rw_cap_refresh(blk, NULL);
		if (blk_open(blk, 0) >= 0)
			r = commit_once(emit, ctx);
	}
	return r;
}
