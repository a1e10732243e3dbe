/* Client of the file system server; protocol in <rewind/fs.h>. */
#include <string.h>
#include <rewind/fs.h>

/* Writes "path NUL" to the IPC buffer and fills in label / w0 / len. */
static long path_msg(rw_msg *m, uint64_t label, const char *path)
{
	size_t plen;

	if (!path)
		return RW_EINVAL;
	plen = strnlen(path, FS_PATH_MAX + 1);
	if (plen == 0 || plen > FS_PATH_MAX)
		return RW_EINVAL;
	memcpy(rw_ipc_buf(), path, plen + 1);
	memset(m, 0, sizeof *m);
	m->label = label;
	m->w[0] = plen;
	m->len = plen + 1;
	return 0;
}

static long path_call(int fs, uint64_t label, const char *path, rw_msg *m)
{
	long r = path_msg(m, label, path);
	return r < 0 ? r : rw_rpc(fs, m);
}

const char *fs_strerror(long err)
{
	switch (err) {
	case FS_EEXIST:		return "EEXIST";
	case FS_ENOTDIR:	return "ENOTDIR";
	case FS_EISDIR:		return "EISDIR";
	case FS_ENOTEMPTY:	return "ENOTEMPTY";
	case FS_EBADF:		return "EBADF";
	case FS_EBUSY:		return "EBUSY";
	case FS_EIO:		return "EIO";
	default:		return rw_strerror(err);
	}
}

long fs_connect(const char *name)
{
	return rw_cap_lookup_str(name);
}

long fs_create(int fs, const char *path)
{
	rw_msg m;
	return path_call(fs, FS_CREATE, path, &m);
}

long fs_mkdir(int fs, const char *path)
{
	rw_msg m;
	return path_call(fs, FS_MKDIR, path, &m);
}

long fs_open(int fs, const char *path)
{
	rw_msg m;
	long r = path_call(fs, FS_OPEN, path, &m);
	if (r < 0)
		return r;
	if ((long)m.w[0] <= 0)
		return RW_EINVAL;	/* malformed reply */
	return (long)m.w[0];
}

long fs_read(int fs, long h, uint64_t off, void *buf, size_t n)
{
	size_t done = 0;

	if (n && !buf)
		return RW_EINVAL;
	while (done < n) {
		rw_msg m = { 0 };
		size_t want = n - done < FS_CHUNK ? n - done : FS_CHUNK;

		m.label = FS_READ;
		m.w[0] = (uint64_t)h;
		m.w[1] = off + done;
		m.w[2] = want;
		long r = rw_rpc(fs, &m);
		if (r < 0)
			return r;
		size_t got = m.w[0];
		if (got > want || m.len != got)
			return RW_EINVAL;	/* malformed reply */
		memcpy((char *)buf + done, rw_ipc_buf(), got);
		done += got;
		if (got < want)
			break;			/* end of file */
	}
	return (long)done;
}

long fs_write(int fs, long h, uint64_t off, const void *buf, size_t n)
{
	size_t done = 0;

	if (n && !buf)
		return RW_EINVAL;
	while (done < n) {
		rw_msg m = { 0 };
		size_t chunk = n - done < FS_CHUNK ? n - done : FS_CHUNK;

		memcpy(rw_ipc_buf(), (const char *)buf + done, chunk);
		m.label = FS_WRITE;
		m.w[0] = (uint64_t)h;
		m.w[1] = off + done;
		m.w[2] = chunk;
		m.len = chunk;
		long r = rw_rpc(fs, &m);
		if (r < 0)
			return r;
		if (m.w[0] != chunk)
			return RW_EINVAL;	/* malformed reply */
		done += chunk;
	}
	return (long)done;
}

long fs_close(int fs, long h)
{
	rw_msg m = { 0 };

	m.label = FS_CLOSE;
	m.w[0] = (uint64_t)h;
	return rw_rpc(fs, &m);
}

long fs_unlink(int fs, const char *path)
{
	rw_msg m;
	return path_call(fs, FS_UNLINK, path, &m);
}

long fs_list(int fs, const char *dirpath, uint64_t index, char *namebuf, uint64_t *size)
{
	rw_msg m;
	long r = path_msg(&m, FS_LIST, dirpath);

	if (r < 0)
		return r;
	m.w[1] = index;
	r = rw_rpc(fs, &m);
	if (r < 0)
		return r;
	size_t nlen = m.len;
	if (nlen < 2 || nlen > FS_NAME_MAX + 1)
		return RW_EINVAL;	/* malformed reply */
	if (namebuf) {
		memcpy(namebuf, rw_ipc_buf(), nlen - 1);
		namebuf[nlen - 1] = '\0';
	}
	if (size)
		*size = m.w[1];
	return m.w[0] ? 1 : 0;
}

long fs_stat(int fs, const char *path, uint64_t *size, int *is_dir)
{
	rw_msg m;
	long r = path_call(fs, FS_STAT, path, &m);

	if (r < 0)
		return r;
	if (size)
		*size = m.w[0];
	if (is_dir)
		*is_dir = m.w[1] ? 1 : 0;
	return 0;
}

long fs_sync(int fs)
{
	rw_msg m = { 0 };

	m.label = FS_SYNC;
	return rw_rpc(fs, &m);
}

long fs_debug_fault(int fs, int kind)
{
	rw_msg m = { 0 };

	m.label = FS_DEBUG_FAULT;
	m.w[0] = (uint64_t)(long)kind;
	m.w[1] = FS_FAULT_MAGIC;
	return rw_rpc(fs, &m);
}

long fs_debug_fault_dirty(int fs, int kind)
{
	rw_msg m = { 0 };

	m.label = FS_DEBUG_FAULT;
	m.w[0] = (uint64_t)(long)kind;
	m.w[1] = FS_FAULT_MAGIC;
	m.w[2] = 1;
	return rw_rpc(fs, &m);
}
