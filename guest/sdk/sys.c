/*
 * picolibc glue for Rewind guest tasks: console streams, _exit, sbrk,
 * abort and assert; and the few POSIX calls picolibc's own functions need
 * (clock, time, fopen, remove, tmpfile, raise) or ported programs call (write,
 * getpid, clock_gettime, sleep, getline, stat, sysconf).  Linked into
 * every program as an object (not from the archive) so that its definitions
 * win over picolibc's defaults.  The POSIX ones are weak: a program that
 * defines a function of the same name (ISO C leaves read, write, open, kill
 * ... to it) links with its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>
#include <rewind/rewind.h>

/* ---- console: line-buffered, flushed on '\n', when full and at exit ---- */

#define CONSOLE_BUF_SIZE 256

/* The stack's top holds the receive note (rewind.h): string.c checks a server's copies by it. */
const int rw__recv_note_kept = 1;

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

/* ---- console input: stdin ---- */

static char input_buf[256];
static size_t input_len, input_pos;
static int input_ended;

/*
 * Waits for console input (CONSOLE_READ is EAGAIN until some comes: sleep and
 * ask again, 1 ms at first, then up to 20 ms) and fills input_buf; returns 0
 * at the end of the input (and at every read after it, as a closed pipe), or
 * a negative RW_E* error.  What stdio holds is written out first, so that a
 * prompt printed without a newline shows before the program waits (glibc
 * flushes a line-buffered stdout so).
 */
static long input_fill(void)
{
	uint64_t nap = 1000000;

	if (input_ended)
		return 0;
	rw_console_flush();
	for (;;) {
		long n = rw_console_read(input_buf, sizeof input_buf);
		if (n == RW_EAGAIN) {
			rw_sleep_ns(nap);
			if (nap < 20000000)
				nap *= 2;
			continue;
		}
		if (n == 0)
			input_ended = 1;
		if (n > 0) {
			input_len = (size_t)n;
			input_pos = 0;
		}
		return n;
	}
}

static int console_get(FILE *f)
{
	(void)f;
	if (input_pos == input_len) {
		long n = input_fill();
		if (n == 0)
			return _FDEV_EOF;
		if (n < 0)
			return _FDEV_ERR;
	}
	return (unsigned char)input_buf[input_pos++];
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

/*
 * POSIX getdelim and getline, which picolibc 1.8's stdio lacks (declared by
 * the SDK's <stdio.h>): the bytes up to and with delim, or to the end of the
 * input, in *lineptr, which they malloc or grow (*n its size); -1 at the end
 * of the input with nothing read, or on an error (errno EINVAL, ENOMEM).
 */
__attribute__((weak)) ssize_t getdelim(char **__restrict lineptr, size_t *__restrict n, int delim,
                                       FILE *__restrict stream)
{
	size_t len = 0;
	int c;

	if (!lineptr || !n || !stream) {
		errno = EINVAL;
		return -1;
	}
	if (!*lineptr)
		*n = 0;
	for (;;) {
		c = getc(stream);
		if (c == EOF)
			break;
		if (len + 2 > *n) {
			size_t size = *n < 64 ? 128 : *n * 2;
			char *p = realloc(*lineptr, size);
			if (!p) {
				errno = ENOMEM;
				return -1;
			}
			*lineptr = p;
			*n = size;
		}
		(*lineptr)[len++] = (char)c;
		if (c == delim)
			break;
	}
	if (len == 0)
		return -1;
	(*lineptr)[len] = '\0';
	return (ssize_t)len;
}

__attribute__((weak)) ssize_t getline(char **__restrict lineptr, size_t *__restrict n,
                                      FILE *__restrict stream)
{
	return getdelim(lineptr, n, '\n', stream);
}

/* dprintf and vdprintf: printf to a file descriptor, through write() in pieces. */
struct fd_stream {
	FILE file; /* first: the stream's put function gets this */
	int fd;
	int failed;
	size_t len;
	char buf[128];
};

static void fd_stream_flush(struct fd_stream *s)
{
	if (s->len > 0 && !s->failed && write(s->fd, s->buf, s->len) != (ssize_t)s->len)
		s->failed = 1;
	s->len = 0;
}

static int fd_stream_put(char c, FILE *f)
{
	struct fd_stream *s = (struct fd_stream *)f;

	s->buf[s->len++] = c;
	if (s->len == sizeof s->buf)
		fd_stream_flush(s);
	return (unsigned char)c;
}

__attribute__((weak)) int vdprintf(int fd, const char *__restrict fmt, va_list ap)
{
	struct fd_stream s = {
		.file = FDEV_SETUP_STREAM(fd_stream_put, NULL, NULL, _FDEV_SETUP_WRITE),
		.fd = fd,
	};
	int n = vfprintf(&s.file, fmt, ap);

	fd_stream_flush(&s);
	return s.failed ? -1 : n;
}

__attribute__((weak)) int dprintf(int fd, const char *__restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vdprintf(fd, fmt, ap);
	va_end(ap);
	return n;
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

/* ---- time: clock() (picolibc's, through times()) ---- */

/*
 * The machine's monotonic clock since boot, in clock() ticks
 * (CLOCKS_PER_SEC), all counted as user time: a task has no CPU-time clock of
 * its own, and a program booted alone has the CPU to itself.
 */
__attribute__((weak)) clock_t times(struct tms *buf)
{
	clock_t ticks = (clock_t)(rw_clock_ns() / (1000000000ull / CLOCKS_PER_SEC));

	if (buf) {
		buf->tms_utime = ticks;
		buf->tms_stime = 0;
		buf->tms_cutime = 0;
		buf->tms_cstime = 0;
	}
	return ticks;
}

/* ---- time of day (WALL_CLOCK), clock_gettime, sleeping ---- */

/* The wall clock; picolibc's time() calls it.  The time zone is always UTC. */
__attribute__((weak)) int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	if (tv) {
		uint64_t ns = rw_wall_clock_ns();
		tv->tv_sec = (time_t)(ns / 1000000000u);
		tv->tv_usec = (suseconds_t)(ns % 1000000000u / 1000u);
	}
	if (tz) {
		struct timezone *z = tz;
		z->tz_minuteswest = 0;
		z->tz_dsttime = 0;
	}
	return 0;
}

/*
 * CLOCK_REALTIME (and _COARSE): the wall clock.  CLOCK_MONOTONIC (and _RAW,
 * _COARSE, CLOCK_BOOTTIME), and the CPU-time clocks, which count as clock()
 * does: the monotonic clock since boot.  Any other: EINVAL.
 */
__attribute__((weak)) int clock_gettime(clockid_t id, struct timespec *tp)
{
	uint64_t ns;

	switch (id) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		ns = rw_wall_clock_ns();
		break;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		ns = rw_clock_ns();
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (!tp) {
		errno = EFAULT;
		return -1;
	}
	tp->tv_sec = (time_t)(ns / 1000000000u);
	tp->tv_nsec = (long)(ns % 1000000000u);
	return 0;
}

/* Every clock counts in nanoseconds. */
__attribute__((weak)) int clock_getres(clockid_t id, struct timespec *res)
{
	struct timespec ignored;

	if (clock_gettime(id, &ignored) < 0)
		return -1;
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = 1;
	}
	return 0;
}

/* Sleeps ns nanoseconds (longer ones in pieces the kernel's timeout takes). */
static void sleep_ns(uint64_t ns)
{
	const uint64_t piece = 1000000000ull * 3600 * 24 * 365; /* a year */

	while (ns > 0) {
		uint64_t n = ns < piece ? ns : piece;
		rw_sleep_ns(n);
		ns -= n;
	}
}

/* A time to sleep (or to sleep until): non-negative, nanoseconds below a second. */
static int timespec_ok(const struct timespec *t)
{
	return t && t->tv_sec >= 0 && t->tv_nsec >= 0 && t->tv_nsec <= 999999999;
}

/* Nothing interrupts a sleep: *rem, when given, is 0. */
__attribute__((weak)) int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (!timespec_ok(req)) {
		errno = EINVAL;
		return -1;
	}
	uint64_t sec = (uint64_t)req->tv_sec;
	uint64_t max = UINT64_MAX / 1000000000u - 1;
	sleep_ns((sec > max ? max : sec) * 1000000000u + (uint64_t)req->tv_nsec);
	if (rem) {
		rem->tv_sec = 0;
		rem->tv_nsec = 0;
	}
	return 0;
}

__attribute__((weak)) unsigned sleep(unsigned seconds)
{
	sleep_ns((uint64_t)seconds * 1000000000u);
	return 0;
}

__attribute__((weak)) int usleep(useconds_t us)
{
	sleep_ns((uint64_t)us * 1000u);
	return 0;
}

/*
 * nanosleep on a clock clock_gettime knows, or until the clock reads *req
 * (TIMER_ABSTIME; at once if it has passed).  Returns an error number, as
 * POSIX has it, not -1.
 */
__attribute__((weak)) int clock_nanosleep(clockid_t id, int flags, const struct timespec *req,
                                          struct timespec *rem)
{
	struct timespec now;

	if (clock_gettime(id, &now) < 0)
		return EINVAL;
	if (!timespec_ok(req))
		return EINVAL;
	if (flags & TIMER_ABSTIME) {
		if (req->tv_sec < now.tv_sec ||
		    (req->tv_sec == now.tv_sec && req->tv_nsec <= now.tv_nsec))
			return 0;
		sleep_ns((uint64_t)(req->tv_sec - now.tv_sec) * 1000000000u +
		         (uint64_t)(req->tv_nsec - now.tv_nsec)); /* the borrow wraps right */
		return 0;
	}
	return nanosleep(req, rem) < 0 ? errno : 0;
}

__attribute__((weak)) int sched_yield(void)
{
	rw_yield();
	return 0;
}

/* What a program asks sysconf for most: the page size, clock ticks, CPUs. */
__attribute__((weak)) long sysconf(int name)
{
	switch (name) {
	case _SC_PAGESIZE:
		return 4096;
	case _SC_CLK_TCK:
		return CLOCKS_PER_SEC; /* the unit of times() */
	case _SC_NPROCESSORS_CONF:
	case _SC_NPROCESSORS_ONLN:
		return 1;
	case _SC_OPEN_MAX:
		return 3;
	default:
		errno = EINVAL;
		return -1;
	}
}

/* ---- file descriptors: 0 = the console's input, 1 and 2 = the console; no files ---- */

__attribute__((weak)) ssize_t write(int fd, const void *buf, size_t n)
{
	size_t off = 0;

	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	rw_console_flush(); /* after what stdio has buffered, as on a terminal */
	while (off < n) {
		size_t chunk = n - off < (1u << 20) ? n - off : (1u << 20);
		long w = rw_console_write((const char *)buf + off, chunk);
		if (w <= 0) {
			if (off > 0)
				break;
			errno = w == RW_EFAULT ? EFAULT : EIO;
			return -1;
		}
		off += (size_t)w;
	}
	return (ssize_t)off;
}

/* fd 0 is the console's input, as stdin (which it shares a buffer with); waits for some. */
__attribute__((weak)) ssize_t read(int fd, void *buf, size_t n)
{
	size_t take;

	if (fd != 0) {
		errno = EBADF;
		return -1;
	}
	if (n == 0)
		return 0;
	if (input_pos == input_len) {
		long got = input_fill();
		if (got < 0) {
			errno = got == RW_EFAULT ? EFAULT : EIO;
			return -1;
		}
		if (got == 0)
			return 0;
	}
	take = input_len - input_pos < n ? input_len - input_pos : n;
	memcpy(buf, input_buf + input_pos, take);
	input_pos += take;
	return (ssize_t)take;
}

/* No file system in a task's own address space: fopen() is NULL with errno set. */
__attribute__((weak)) int open(const char *path, int flags, ...)
{
	(void)path;
	errno = (flags & (O_WRONLY | O_RDWR | O_CREAT)) ? EROFS : ENOENT;
	return -1;
}

__attribute__((weak)) int close(int fd)
{
	if (fd < 0 || fd > 2) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

__attribute__((weak)) off_t lseek(int fd, off_t off, int whence)
{
	(void)off;
	(void)whence;
	errno = fd >= 0 && fd <= 2 ? ESPIPE : EBADF;
	return -1;
}

__attribute__((weak)) int isatty(int fd)
{
	if (fd >= 0 && fd <= 2)
		return 1;
	errno = EBADF;
	return 0;
}

/* fds 0..2 are a character device (the console); no path names a file. */
__attribute__((weak)) int fstat(int fd, struct stat *st)
{
	if (fd < 0 || fd > 2) {
		errno = EBADF;
		return -1;
	}
	memset(st, 0, sizeof *st);
	st->st_mode = S_IFCHR | 0620;
	st->st_blksize = CONSOLE_BUF_SIZE;
	return 0;
}

__attribute__((weak)) int stat(const char *__restrict path, struct stat *__restrict st)
{
	(void)path;
	(void)st;
	errno = ENOENT;
	return -1;
}

__attribute__((weak)) int access(const char *path, int mode)
{
	(void)path;
	(void)mode;
	errno = ENOENT;
	return -1;
}

/* remove() and tmpfile() call unlink. */
__attribute__((weak)) int unlink(const char *path)
{
	(void)path;
	errno = ENOENT;
	return -1;
}

__attribute__((weak)) int rename(const char *from, const char *to)
{
	(void)from;
	(void)to;
	errno = ENOENT;
	return -1;
}

/* ---- process: getpid() and kill(), which picolibc's raise() calls ---- */

/* The task's index plus one (a pid is positive). */
__attribute__((weak)) pid_t getpid(void)
{
	return (pid_t)rw_task_index(rw_task_self()) + 1;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGABRT:
		return " (SIGABRT)";
	case SIGFPE:
		return " (SIGFPE)";
	case SIGILL:
		return " (SIGILL)";
	case SIGINT:
		return " (SIGINT)";
	case SIGSEGV:
		return " (SIGSEGV)";
	case SIGTERM:
		return " (SIGTERM)";
	default:
		return "";
	}
}

/*
 * A signal to this task (raise() with the default action) ends it as faulted,
 * naming the signal, as a signal's default action ends a process; signal 0
 * only checks.  There are no other processes.
 */
__attribute__((weak)) int kill(pid_t pid, int sig)
{
	char msg[48] = "killed by signal ";
	size_t len = strlen(msg);
	char num[12];
	int n = 0, v = sig;

	if (pid != getpid() && pid != 0 && pid != -1) {
		errno = ESRCH;
		return -1;
	}
	if (sig < 0 || sig >= NSIG) {
		errno = EINVAL;
		return -1;
	}
	if (sig == 0)
		return 0;
	do {
		num[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n > 0)
		msg[len++] = num[--n];
	msg[len] = '\0';
	strcat(msg, signal_name(sig));
	rw_panic(msg);
}
