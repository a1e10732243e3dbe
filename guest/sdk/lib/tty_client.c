/* Client of a character (tty) driver; protocol in <rewind/tty.h> and
 * guest/abi/tty.proto (the tty_call_* stubs are generated from it). */
#include <string.h>
#include <rewind/tty.h>

const char *tty_strerror(long err)
{
	const char *s = tty_proto_error_name(err);

	return s ? s : rw_strerror(err);
}

long tty_open(rw_cap cap, uint64_t mode)
{
	return tty_call_open(cap, mode);
}

long tty_close(rw_cap cap)
{
	return tty_call_close(cap);
}

long tty_write(rw_cap cap, const void *buf, size_t len)
{
	size_t done = 0;

	if (len && !buf)
		return RW_EINVAL;
	while (done < len) {
		size_t chunk = len - done < TTY_CHUNK ? len - done : TTY_CHUNK;
		uint64_t wrote = 0;

		memcpy(rw_ipc_buf(), (const char *)buf + done, chunk);
		/* resume = 0: set only by the kernel's shadow */
		long r = tty_call_write(cap, chunk, 0, &wrote);
		if (r < 0)
			return r;
		if (wrote != chunk)
			return RW_EINVAL; /* malformed reply */
		done += chunk;
	}
	return (long)done;
}

long tty_puts(rw_cap cap, const char *s)
{
	if (!s)
		return RW_EINVAL;
	return tty_write(cap, s, strlen(s));
}

long tty_read(rw_cap cap, void *buf, size_t max)
{
	uint64_t n = 0;

	if (max < 1 || max > TTY_CHUNK || !buf)
		return RW_EINVAL;
	long r = tty_call_read(cap, max, &n);
	if (r < 0)
		return r;
	if (n > max)
		return RW_EINVAL; /* malformed reply */
	memcpy(buf, rw_ipc_buf(), n);
	return (long)n;
}
