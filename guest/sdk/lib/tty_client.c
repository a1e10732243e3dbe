/* Client of a character (tty) driver; protocol in <rewind/tty.h>. */
#include <string.h>
#include <rewind/tty.h>

#define TTY_CHUNK	4096		/* bytes per WRITE / most per READ */

/* Issues the call; returns the kernel status or else the reply label. */
const char *tty_strerror(long err)
{
	switch (err) {
	case TTY_ENOTOPEN:	return "ENOTOPEN";
	default:		return rw_strerror(err);
	}
}

long tty_open(int cap, uint64_t mode)
{
	rw_msg m = { 0 };

	m.label = TTY_OPEN;
	m.w[0] = mode;
	return rw_rpc(cap, &m);
}

long tty_close(int cap)
{
	rw_msg m = { 0 };

	m.label = TTY_CLOSE;
	return rw_rpc(cap, &m);
}

long tty_write(int cap, const void *buf, size_t len)
{
	size_t done = 0;

	if (len && !buf)
		return RW_EINVAL;
	while (done < len) {
		rw_msg m = { 0 };
		size_t chunk = len - done < TTY_CHUNK ? len - done : TTY_CHUNK;

		memcpy(rw_ipc_buf(), (const char *)buf + done, chunk);
		m.label = TTY_WRITE;
		m.w[0] = chunk;
		m.w[1] = 0;		/* resume: set only by the kernel's shadow */
		m.len = chunk;
		long r = rw_rpc(cap, &m);
		if (r < 0)
			return r;
		if (m.w[0] != chunk)
			return RW_EINVAL;	/* malformed reply */
		done += chunk;
	}
	return (long)done;
}

long tty_puts(int cap, const char *s)
{
	if (!s)
		return RW_EINVAL;
	return tty_write(cap, s, strlen(s));
}

long tty_read(int cap, void *buf, size_t max)
{
	rw_msg m = { 0 };

	if (max < 1 || max > TTY_CHUNK || !buf)
		return RW_EINVAL;
	m.label = TTY_READ;
	m.w[0] = max;
	long r = rw_rpc(cap, &m);
	if (r < 0)
		return r;
	size_t n = m.w[0];
	if (n > max || m.len != n)
		return RW_EINVAL;	/* malformed reply */
	memcpy(buf, rw_ipc_buf(), n);
	return (long)n;
}
