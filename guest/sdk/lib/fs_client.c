/* Client of the file system server; protocol in <rewind/fs.h> and
 * guest/abi/fs.proto (the fs_call_* stubs are generated from it). */
#include <string.h>
#include <rewind/fs.h>

/* Writes "path NUL" to the IPC buffer; returns plen or RW_EINVAL. */
static long put_path(const char *path)
{
	size_t plen;

	if (!path)
		return RW_EINVAL;
	plen = strnlen(path, FS_PATH_MAX + 1);
	if (plen == 0 || plen > FS_PATH_MAX)
		return RW_EINVAL;
	memcpy(rw_ipc_buf(), path, plen + 1);
	return (long)plen;
}

const char *fs_strerror(long err)
{
	const char *s = fs_proto_error_name(err);

	return s ? s : rw_strerror(err);
}

long fs_connect(const char *name, rw_cap *fs)
{
	return rw_cap_get(name, fs);
}

long fs_create(rw_cap fs, const char *path)
{
	long plen = put_path(path);

	return plen < 0 ? plen : fs_call_create(fs, (uint64_t)plen);
}

long fs_mkdir(rw_cap fs, const char *path)
{
	long plen = put_path(path);

	return plen < 0 ? plen : fs_call_mkdir(fs, (uint64_t)plen);
}

long fs_open(rw_cap fs, const char *path)
{
	uint64_t h = 0;
	long plen = put_path(path);

	if (plen < 0)
		return plen;
	long r = fs_call_open(fs, (uint64_t)plen, &h, NULL);
	return r < 0 ? r : (long)h;
}

long fs_read(rw_cap fs, long h, uint64_t off, void *buf, size_t n)
{
	size_t done = 0;

	if (n && !buf)
		return RW_EINVAL;
	while (done < n) {
		size_t want = n - done < FS_CHUNK ? n - done : FS_CHUNK;
		uint64_t got = 0;

		long r = fs_call_read(fs, (uint64_t)h, off + done, want, &got, NULL);
		if (r < 0)
			return r;
		if (got > want)
			return RW_EINVAL; /* malformed reply */
		memcpy((char *)buf + done, rw_ipc_buf(), got);
		done += got;
		if (got < want)
			break; /* end of file */
	}
	return (long)done;
}

long fs_write(rw_cap fs, long h, uint64_t off, const void *buf, size_t n)
{
	size_t done = 0;

	if (n && !buf)
		return RW_EINVAL;
	while (done < n) {
		size_t chunk = n - done < FS_CHUNK ? n - done : FS_CHUNK;
		uint64_t wrote = 0;

		memcpy(rw_ipc_buf(), (const char *)buf + done, chunk);
		long r = fs_call_write(fs, (uint64_t)h, off + done, chunk, &wrote, NULL);
		if (r < 0)
			return r;
		if (wrote != chunk)
			return RW_EINVAL; /* malformed reply */
		done += chunk;
	}
	return (long)done;
}

long fs_close(rw_cap fs, long h)
{
	return fs_call_close(fs, (uint64_t)h);
}

long fs_unlink(rw_cap fs, const char *path)
{
	long plen = put_path(path);

	return plen < 0 ? plen : fs_call_unlink(fs, (uint64_t)plen);
}

long fs_list(rw_cap fs, const char *dirpath, uint64_t index, char *namebuf, uint64_t *size)
{
	uint64_t is_dir = 0, nlen = 0;
	long plen = put_path(dirpath);

	if (plen < 0)
		return plen;
	long r = fs_call_list(fs, (uint64_t)plen, index, &is_dir, size, &nlen);
	if (r < 0)
		return r;
	/* the stub checked the reply length: name NUL, 2..FS_NAME_MAX + 1 bytes */
	if (namebuf) {
		memcpy(namebuf, rw_ipc_buf(), nlen - 1);
		namebuf[nlen - 1] = '\0';
	}
	return is_dir ? 1 : 0;
}

long fs_stat(rw_cap fs, const char *path, uint64_t *size, int *is_dir)
{
	uint64_t d = 0;
	long plen = put_path(path);

	if (plen < 0)
		return plen;
	long r = fs_call_stat(fs, (uint64_t)plen, size, &d);
	if (r < 0)
		return r;
	if (is_dir)
		*is_dir = d ? 1 : 0;
	return 0;
}

long fs_sync(rw_cap fs)
{
	return fs_call_sync(fs);
}
