/*
 * blk_guard - a block client that probes the answers a driver must refuse or
 * give exactly (t_blk_guard.toml, on the write-through lru_blk): INFO's
 * geometry, a WRITE and a FLUSH of a read-only session (EROFS), a READ past
 * the end (ERANGE), a READ after CLOSE (ENOTOPEN), and that the sectors a
 * refused WRITE named still hold what was written before.  BlockShadowTest
 * corrupts the driver's checks so that it acknowledges them instead.
 * Ends with "blk_guard: ok" (exit 0) or "blk_guard: FAIL ..." (exit 1).
 */
#include <stdio.h>
#include <string.h>
#include <rewind/blk.h>

#define FIRST 20
#define COUNT 2

static uint8_t a[COUNT * BLK_SECTOR], b[COUNT * BLK_SECTOR], in[COUNT * BLK_SECTOR];

static int fail(const char *what, long r)
{
	printf("blk_guard: FAIL %s: %ld (%s)\n", what, r, blk_strerror(r));
	return 1;
}

int main(void)
{
	rw_cap cap;
	uint64_t size, sectors;
	long r;

	if ((r = rw_cap_get("blk", &cap)) < 0)
		return fail("lookup", r);
	for (size_t i = 0; i < sizeof a; i++) {
		a[i] = (uint8_t)(i * 7 + 3);
		b[i] = (uint8_t)(i * 11 + 5);
	}
	if ((r = blk_info(cap, &size, &sectors)) < 0)
		return fail("info", r);
	if (size != BLK_SECTOR || sectors != 2048)
		return fail("info: not the disk's geometry", (long)sectors);
	if ((r = blk_open(cap, 0)) < 0)
		return fail("open", r);
	if ((r = blk_write(cap, FIRST, COUNT, a)) != COUNT)
		return fail("write", r);
	if ((r = blk_flush(cap)) < 0)
		return fail("flush", r);
	if ((r = blk_open(cap, BLK_O_RDONLY)) < 0)
		return fail("reopen read-only", r);
	if ((r = blk_write(cap, FIRST, COUNT, b)) != BLK_EROFS)
		return fail("write (read-only: EROFS expected)", r);
	if ((r = blk_flush(cap)) != BLK_EROFS)
		return fail("flush (read-only: EROFS expected)", r);
	if ((r = blk_read(cap, FIRST, COUNT, in)) != COUNT)
		return fail("read", r);
	if (memcmp(in, a, sizeof in) != 0)
		return fail("read: not what was written before the refused write", 0);
	if ((r = blk_read(cap, sectors - 1, COUNT, in)) != BLK_ERANGE)
		return fail("read past the end (ERANGE expected)", r);
	if ((r = blk_close(cap)) < 0)
		return fail("close", r);
	if ((r = blk_read(cap, FIRST, COUNT, in)) != BLK_ENOTOPEN)
		return fail("read after close (ENOTOPEN expected)", r);
	printf("blk_guard: ok\n");
	return 0;
}
