/* librewind: diagnostics helpers declared in <rewind/rewind.h>. */
#include <stddef.h>
#include <string.h>
#include <rewind/rewind.h>

const char *rw_strerror(long err)
{
	switch (err) {
	case RW_OK:
		return "OK";
	case RW_EINVAL:
		return "EINVAL";
	case RW_EFAULT:
		return "EFAULT";
	case RW_ECAP:
		return "ECAP";
	case RW_ENOSYS:
		return "ENOSYS";
	case RW_EDEAD:
		return "EDEAD";
	case RW_ENOMEM:
		return "ENOMEM";
	case RW_ETOOBIG:
		return "ETOOBIG";
	case RW_ENOENT:
		return "ENOENT";
	case RW_ESTATE:
		return "ESTATE";
	case RW_ERECOVERED:
		return "ERECOVERED";
	case RW_EIO:
		return "EIO";
	case RW_ETIMEDOUT:
		return "ETIMEDOUT";
	case RW_EAGAIN:
		return "EAGAIN";
	case RW_EINDOUBT:
		return "EINDOUBT";
	default:
		return err > 0 ? "OK" : "E?";
	}
}

void rw_panic(const char *msg)
{
	rw_console_flush();
	rw_abort(msg, strlen(msg));
}

void rw__syscall_skipped(void)
{
	rw_panic("an IPC system call did not run (a0 still holds its tagged capability slot: the "
	         "instruction was skipped)");
}

void rw__client_alive_wrong(void)
{
	rw_panic("rw_client_alive: a client answered gone lives when asked again (a spoiled badge "
	         "or a skipped call)");
}

void rw__reply_not_as_meant(void)
{
	rw_panic("rw_reply: the reply's registers differ from the message (a transient fault)");
}

void rw__message_not_as_sent(void)
{
	static const char msg[] = "the message received differs from the one the kernel delivered "
	                          "(its sum in a0; a transient fault)";

	rw_console_flush();
	/* ABORT_DELIVERY: the request's delivery went wrong, not the request (txipc delivers it again) */
	for (;;)
		rw__sys2(SYS_ABORT, (long)(uintptr_t)msg,
		         (long)((sizeof msg - 1) | RW_ABORT_DELIVERY), 0);
}

/* Appends s to buf[*pos..cap-1], truncating. */
static void put_str(char *buf, size_t cap, size_t *pos, const char *s)
{
	while (*s && *pos + 1 < cap)
		buf[(*pos)++] = *s++;
}

void rw_assert_fail(const char *file, int line, const char *expr)
{
	/* "file:line: assertion 'expr' failed", built without printf. */
	char msg[256];
	char num[16];
	size_t pos = 0, n = 0;
	unsigned long v = line < 0 ? 0 : (unsigned long)line;

	do {
		num[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof num - 1);
	char digits[16];
	for (size_t i = 0; i < n; i++)
		digits[i] = num[n - 1 - i];
	digits[n] = '\0';

	put_str(msg, sizeof msg, &pos, file ? file : "?");
	put_str(msg, sizeof msg, &pos, ":");
	put_str(msg, sizeof msg, &pos, digits);
	put_str(msg, sizeof msg, &pos, ": assertion '");
	put_str(msg, sizeof msg, &pos, expr ? expr : "?");
	put_str(msg, sizeof msg, &pos, "' failed");
	msg[pos] = '\0';

	rw_console_flush();
	rw_abort(msg, pos);
}
