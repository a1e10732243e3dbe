/* Client of a block driver; protocol in <rewind/blk.h> and
 * guest/abi/blk.proto (the blk_call_* stubs are generated from it). */
#include <string.h>
#include <rewind/blk.h>

const char *blk_strerror(long err)
{
	const char *s = blk_proto_error_name(err);

	return s ? s : rw_strerror(err);
}

long blk_info(rw_cap cap, uint64_t *sector_size, uint64_t *sectors)
{
	return blk_call_info(cap, sector_size, sectors);
}

long blk_open(rw_cap cap, uint64_t flags)
{
	return blk_call_open(cap, flags);
}

long blk_close(rw_cap cap)
{
	return blk_call_close(cap);
}

long blk_read(rw_cap cap, uint64_t sector, uint32_t count, void *buf)
{
	uint64_t got = 0;

	if (count < 1 || count > BLK_MAX_COUNT || !buf)
		return RW_EINVAL;
	long r = blk_call_read(cap, sector, count, &got);
	if (r < 0)
		return r;
	if (got != count)
		return RW_EINVAL; /* malformed reply */
	memcpy(buf, rw_ipc_buf(), (size_t)count * BLK_SECTOR);
	return (long)count;
}

long blk_write(rw_cap cap, uint64_t sector, uint32_t count, const void *buf)
{
	uint64_t wrote = 0;

	if (count < 1 || count > BLK_MAX_COUNT || !buf)
		return RW_EINVAL;
	memcpy(rw_ipc_buf(), buf, (size_t)count * BLK_SECTOR);
	long r = blk_call_write(cap, sector, count, &wrote);
	if (r < 0)
		return r;
	if (wrote != count)
		return RW_EINVAL; /* malformed reply */
	return (long)count;
}

long blk_flush(rw_cap cap)
{
	return blk_call_flush(cap);
}
