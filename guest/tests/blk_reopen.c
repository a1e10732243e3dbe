/*
 * blk_reopen - a block client that writes, closes its session without a
 * FLUSH, opens a read-only one and reads back what it wrote (t_blk_reopen.toml,
 * on the write-back lru_blk).  If the driver dies at the read, the shadow must
 * replay the acknowledged write that lived only in the driver's cache, and no
 * session of the client's may write: it replays it in a session of its own.
 * Ends with "blk_reopen: ok" (exit 0) or "blk_reopen: FAIL ..." (exit 1).
 */
#include <stdio.h>
#include <string.h>
#include <rewind/blk.h>

#define FIRST 5
#define COUNT 2

static uint8_t out[COUNT * BLK_SECTOR], in[COUNT * BLK_SECTOR];

static int fail(const char *what, long r)
{
	printf("blk_reopen: FAIL %s: %ld (%s)\n", what, r, blk_strerror(r));
	return 1;
}

int main(void)
{
	rw_cap cap;
	long r;

	if ((r = rw_cap_get("blk", &cap)) < 0)
		return fail("lookup", r);
	for (size_t i = 0; i < sizeof out; i++)
		out[i] = (uint8_t)(i * 7 + 3);
	if ((r = blk_open(cap, 0)) < 0)
		return fail("open", r);
	if ((r = blk_write(cap, FIRST, COUNT, out)) != COUNT)
		return fail("write", r);
	if ((r = blk_close(cap)) < 0)
		return fail("close", r);
	if ((r = blk_open(cap, BLK_O_RDONLY)) < 0)
		return fail("open read-only", r);
	if ((r = blk_read(cap, FIRST, COUNT, in)) != COUNT)
		return fail("read", r);
	if (memcmp(in, out, sizeof in) != 0)
		return fail("read: not what was written", 0);
	if ((r = blk_flush(cap)) != BLK_EROFS)
		return fail("flush (read-only: EROFS expected)", r);
	printf("blk_reopen: ok\n");
	return 0;
}
