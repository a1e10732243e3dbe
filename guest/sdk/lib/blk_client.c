/* Client of a block driver; protocol in <rewind/blk.h>. */
#include <string.h>
#include <rewind/blk.h>

/* Issues the call; returns the kernel status or else the reply label. */
static long simple_call(int cap, uint64_t label, uint64_t w0)
{
	rw_msg m = { 0 };

	m.label = label;
	m.w[0] = w0;
	return rw_rpc(cap, &m);
}

const char *blk_strerror(long err)
{
	switch (err) {
	case BLK_ENOTOPEN:	return "ENOTOPEN";
	case BLK_EROFS:		return "EROFS";
	case BLK_ERANGE:	return "ERANGE";
	case BLK_EIO:		return "EIO";
	default:		return rw_strerror(err);
	}
}

long blk_info(int cap, uint64_t *sector_size, uint64_t *sectors)
{
	rw_msg m = { 0 };

	m.label = BLK_INFO;
	long r = rw_rpc(cap, &m);
	if (r < 0)
		return r;
	if (sector_size)
		*sector_size = m.w[0];
	if (sectors)
		*sectors = m.w[1];
	return 0;
}

long blk_open(int cap, uint64_t flags)
{
	return simple_call(cap, BLK_OPEN, flags);
}

long blk_close(int cap)
{
	return simple_call(cap, BLK_CLOSE, 0);
}

long blk_read(int cap, uint64_t sector, uint32_t count, void *buf)
{
	rw_msg m = { 0 };

	if (count < 1 || count > BLK_MAX_COUNT || !buf)
		return RW_EINVAL;
	m.label = BLK_READ;
	m.w[0] = sector;
	m.w[1] = count;
	long r = rw_rpc(cap, &m);
	if (r < 0)
		return r;
	size_t bytes = (size_t)count * BLK_SECTOR;
	if (m.w[0] != count || m.len != bytes)
		return RW_EINVAL;	/* malformed reply */
	memcpy(buf, rw_ipc_buf(), bytes);
	return (long)count;
}

long blk_write(int cap, uint64_t sector, uint32_t count, const void *buf)
{
	rw_msg m = { 0 };

	if (count < 1 || count > BLK_MAX_COUNT || !buf)
		return RW_EINVAL;
	size_t bytes = (size_t)count * BLK_SECTOR;
	memcpy(rw_ipc_buf(), buf, bytes);
	m.label = BLK_WRITE;
	m.w[0] = sector;
	m.w[1] = count;
	m.len = bytes;
	long r = rw_rpc(cap, &m);
	if (r < 0)
		return r;
	if (m.w[0] != count)
		return RW_EINVAL;	/* malformed reply */
	return (long)count;
}

long blk_flush(int cap)
{
	return simple_call(cap, BLK_FLUSH, 0);
}
