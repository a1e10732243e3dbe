/*
 * blk_post - a short block workload for a driver that writes back after its
 * replies (t_blk_post.toml: lru_blk_pr).  Writes sectors 200..207 and
 * flushes, writes 0..15 (which pushes 200..207 out of a 16-sector cache) and
 * flushes, writes sector 100 and then 101, and reads all of them back, checked,
 * before and after a last FLUSH.  BlockShadowTest corrupts the cache slot of
 * sector 100 at the reply to its WRITE, so that the write-back after that
 * reply puts 100's data on sector 200, which was flushed long before.
 *
 * Ends with "blk_post: ok" (exit 0) or "blk_post: FAIL ..." (exit 1).
 */
#include <stdio.h>
#include <string.h>
#include <rewind/blk.h>

static rw_cap cap;
static uint8_t buf[BLK_MAX_COUNT * BLK_SECTOR];

static void pattern(uint8_t *p, uint64_t sector)
{
	for (int i = 0; i < BLK_SECTOR; i += 8) {
		uint64_t x = (sector + 7) * 0xbf58476d1ce4e5b9ULL + (uint64_t)i;
		memcpy(p + i, &x, 8);
	}
}

static int put(uint64_t s, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		pattern(buf + k * BLK_SECTOR, s + k);
	long r = blk_write(cap, s, n, buf);
	if (r < 0)
		printf("blk_post: FAIL write %lu+%u: %s\n", (unsigned long)s, n, blk_strerror(r));
	return r < 0;
}

static int check(uint64_t s, uint32_t n)
{
	long r = blk_read(cap, s, n, buf);
	if (r < 0) {
		printf("blk_post: FAIL read %lu+%u: %s\n", (unsigned long)s, n, blk_strerror(r));
		return 1;
	}
	for (uint32_t k = 0; k < n; k++) {
		uint8_t want[BLK_SECTOR];
		pattern(want, s + k);
		if (memcmp(want, buf + k * BLK_SECTOR, BLK_SECTOR) != 0) {
			printf("blk_post: FAIL sector %lu reads wrong data\n",
			       (unsigned long)(s + k));
			return 1;
		}
	}
	return 0;
}

static int flush(void)
{
	long r = blk_flush(cap);
	if (r < 0)
		printf("blk_post: FAIL flush: %s\n", blk_strerror(r));
	return r < 0;
}

static int readback(void)
{
	return check(200, 8) || check(0, 8) || check(8, 8) || check(100, 2);
}

int main(void)
{
	RW_ASSERT(rw_cap_get("blk", &cap) == 0);
	long r = blk_open(cap, 0);
	if (r < 0) {
		printf("blk_post: FAIL open: %s\n", blk_strerror(r));
		return 1;
	}
	if (put(200, 8) || flush() || put(0, 8) || put(8, 8) || flush() || put(100, 1) ||
	    put(101, 1))
		return 1;
	if (readback() || flush() || readback())
		return 1;
	printf("blk_post: ok\n");
	return 0;
}
