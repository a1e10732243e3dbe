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

/* ---- console input: stdin, read from the console's input (CONSOLE_READ) ---- */

static char console_in_buf[CONSOLE_BUF_SIZE];
static size_t console_in_len, console_in_pos;
static int console_in_ended;

/* Refills the input buffer, waiting (sleeping 50 us, doubling to 2 ms) while
 * no input has come.  Returns 0, or -1 at the end of the input (or when the
 * console's input is not the tasks': a UART device takes it). */
static int console_refill(void)
{
	uint64_t delay = 50000;

	rw_console_flush(); /* (a prompt shows before its program waits) */
	while (!console_in_ended) {
		long n = rw_console_read(console_in_buf, sizeof console_in_buf);
		if (n > 0) {
			console_in_len = (size_t)n;
			console_in_pos = 0;
			return 0;
		}
		if (n != RW_EAGAIN) {
			console_in_ended = 1;
			break;
		}
		rw_sleep_ns(delay);
		if (delay < 2000000)
			delay *= 2;
	}
	return -1;
}

static int console_get(FILE *f)
{
	(void)f;
	if (console_in_pos == console_in_len && console_refill() < 0)
		return _FDEV_EOF;
	return (unsigned char)console_in_buf[console_in_pos++];
}

static int console_fflush(FILE *f)
{
	(void)f;
	rw_console_flush();
	return 0;
}

/* picolibc 1.8's fgets drops a last line that has no newline: it answers
 * NULL at the end of the input even when it has read characters.  C says a
 * line is returned then, and NULL only when nothing was read (or on an
 * error). */
char *fgets(char *str, int size, FILE *stream)
{
	int i = 0;

	if (size <= 0)
		return NULL;
	while (i < size - 1) {
		int c = getc(stream);
		if (c == EOF) {
			if (i == 0 || ferror(stream))
				return NULL;
			break;
		}
		str[i++] = (char)c;
		if (c == '\n')
			break;
	}
	str[i] = '\0';
	return str;
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
