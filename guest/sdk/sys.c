/*
 * picolibc glue for Rewind guest tasks: console streams, _exit, sbrk,
 * abort and assert.  Linked into every program as an object (not from the
 * archive) so that its definitions win over picolibc's defaults.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <rewind/rewind.h>

/* ---- console: line-buffered, flushed on '\n', when full and at exit ---- */

#define CONSOLE_BUF_SIZE 256

static char console_buf[CONSOLE_BUF_SIZE];
static size_t console_len;

void rw_console_flush(void)
{
	size_t off = 0;

	while (off < console_len) {
		long n = rw_console_write(console_buf + off, console_len - off);
		if (n <= 0)
			break; /* console refused: drop the rest */
		off += (size_t)n;
	}
	console_len = 0;
}

static int console_put(char c, FILE *f)
{
	(void)f;
	console_buf[console_len++] = c;
	if (c == '\n' || console_len == sizeof console_buf)
		rw_console_flush();
	return (unsigned char)c;
}

static int console_get(FILE *f)
{
	(void)f;
	return _FDEV_EOF; /* no console input */
}

static int console_fflush(FILE *f)
{
	(void)f;
	rw_console_flush();
	return 0;
}

static FILE console_out = FDEV_SETUP_STREAM(console_put, NULL, console_fflush, _FDEV_SETUP_WRITE);
static FILE console_in = FDEV_SETUP_STREAM(NULL, console_get, NULL, _FDEV_SETUP_READ);

/* stdout and stderr share one buffer so their output stays in order. */
FILE *const stdout = &console_out;
FILE *const stderr = &console_out;
FILE *const stdin = &console_in;

/* ---- process end ---- */

void _exit(int status)
{
	rw_console_flush();
	rw_exit(status);
}

void abort(void)
{
	rw_panic("abort() called");
}

/* ---- heap for malloc ---- */

void *sbrk(ptrdiff_t incr)
{
	long prev;

	if (incr < 0) {
		errno = EINVAL; /* the kernel never shrinks the heap */
		return (void *)-1;
	}
	prev = rw_sbrk((long)incr);
	if (prev < 0) {
		errno = ENOMEM;
		return (void *)-1;
	}
	return (void *)(uintptr_t)prev;
}

/* ---- assert() from <assert.h> ---- */

void __assert_func(const char *file, int line, const char *func, const char *expr)
{
	(void)func;
	rw_assert_fail(file, line, expr);
}
