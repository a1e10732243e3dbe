/*
 * blk_nofl - a block client that writes more than the block shadow keeps
 * between FLUSHes, with no FLUSH: first sectors 0..7 again and again (8,200
 * WRITEs: 65,600 versions, more than the 65,536 older versions the shadow
 * remembers), then 16,400 sectors from 8 on, 8 per WRITE (more than the 16,384
 * sectors it keeps); then it reads every sector back and checks it, then
 * flushes.  On a write-back driver (t_blk_nofl.toml: lru_blk_wb, 16 sectors
 * cached) a driver failure after either phase finds acknowledged sectors only
 * in the driver's cache; the shadow must still have them to replay
 * (BlockShadowTest).
 *
 * Ends with "blk_nofl: ok" (exit 0) or "blk_nofl: FAIL ..." (exit 1).
 */
#include <stdio.h>
#include <string.h>
#include <rewind/blk.h>

#define HOT_WRITES 8200 /* 8 sectors each: 65,600 versions (SUPERSEDED_MAX: 65,536) */
#define FIRST      8
#define NSECT      16400 /* more than BlockShadow.UNFLUSHED_MAX_SECTORS (16,384) */

static uint8_t buf[BLK_MAX_COUNT * BLK_SECTOR];

static void pattern(uint8_t *p, uint64_t sector)
{
	for (int i = 0; i < BLK_SECTOR; i += 8) {
		uint64_t x = (sector + 1) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)i << 40;
		memcpy(p + i, &x, 8);
	}
}

int main(void)
{
	rw_cap cap;
	long r;
	unsigned long bad = 0, first = 0;

	RW_ASSERT(rw_cap_get("blk", &cap) == 0);
	if ((r = blk_open(cap, 0)) < 0) {
		printf("blk_nofl: FAIL open: %s\n", blk_strerror(r));
		return 1;
	}
	for (int i = 0; i < HOT_WRITES; i++) {
		/* the last one's data is what sectors 0..7 must read back */
		for (int k = 0; k < BLK_MAX_COUNT; k++)
			pattern(buf + k * BLK_SECTOR,
			        (uint64_t)k + (i == HOT_WRITES - 1 ? 0 : 1000000 + i));
		if ((r = blk_write(cap, 0, BLK_MAX_COUNT, buf)) < 0) {
			printf("blk_nofl: FAIL write 0 (%d): %s\n", i, blk_strerror(r));
			return 1;
		}
	}
	for (uint64_t s = FIRST; s < FIRST + NSECT; s += BLK_MAX_COUNT) {
		for (int k = 0; k < BLK_MAX_COUNT; k++)
			pattern(buf + k * BLK_SECTOR, s + k);
		if ((r = blk_write(cap, s, BLK_MAX_COUNT, buf)) < 0) {
			printf("blk_nofl: FAIL write %lu: %s\n", (unsigned long)s, blk_strerror(r));
			return 1;
		}
	}
	for (uint64_t s = 0; s < FIRST + NSECT; s += BLK_MAX_COUNT) {
		if ((r = blk_read(cap, s, BLK_MAX_COUNT, buf)) < 0) {
			printf("blk_nofl: FAIL read %lu: %s\n", (unsigned long)s, blk_strerror(r));
			return 1;
		}
		for (int k = 0; k < BLK_MAX_COUNT; k++) {
			uint8_t want[BLK_SECTOR];
			pattern(want, s + k);
			if (memcmp(want, buf + k * BLK_SECTOR, BLK_SECTOR) != 0 && bad++ == 0)
				first = (unsigned long)(s + k);
		}
	}
	if ((r = blk_flush(cap)) < 0) {
		printf("blk_nofl: FAIL flush: %s\n", blk_strerror(r));
		return 1;
	}
	if (bad) {
		printf("blk_nofl: FAIL %lu sectors read back wrong, first %lu\n", bad, first);
		return 1;
	}
	printf("blk_nofl: ok\n");
	return 0;
}
