/*
 * What an ordinary C program ported to Rewind expects of the SDK's libc,
 * booted as a bare ELF (SdkTest.anOrdinaryCProgramGetsWhatItExpects):
 *
 *  - printf's %e %f %g digits as glibc prints them (sdk/dtoa.c): fixed cases,
 *    then a hash of 1500 random conversions whose glibc value the test knows;
 *  - clock() advances (sdk/sys.c times()); write(1, ...) reaches the console
 *    in order with stdio; fopen() is NULL with errno ENOENT or EROFS;
 *    raise() runs a handler, and with the default action ends the task;
 *  - a bare ELF's 8M stack and 256M heap limit (SystemImage.singleTask).
 *
 * The printing part is plain C: built with the host's gcc (-DHOST) it prints
 * the reference lines.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t fnv = 1469598103934665603ull;
static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void hash(const char *s)
{
	for (; *s; s++) {
		fnv ^= (unsigned char)*s;
		fnv *= 1099511628211ull;
	}
}

/* 1500 doubles of every kind (any bits, short binary fractions, moderate magnitudes) in %e %g %f. */
static void fuzz(void)
{
	char line[1200];
	int i;

	for (i = 0; i < 1500; i++) {
		uint64_t b = rnd();
		double x;
		int p, n;

		switch (i % 4) {
		case 0: /* any finite double */
			b &= ~(0x7ffull << 52) | ((rnd() % 0x7ff) << 52);
			memcpy(&x, &b, 8);
			break;
		case 1: /* ties */
			x = (double)(int64_t)(rnd() % 2000001 - 1000000) /
			    (double)(1u << (rnd() % 12));
			break;
		case 2:
			b = (b & ~(0x7ffull << 52)) | ((uint64_t)(1023 - 30 + rnd() % 60) << 52);
			memcpy(&x, &b, 8);
			break;
		default:
			x = (double)(rnd() % 100000) / 1000.0;
			break;
		}
		p = (int)(rnd() % 17);
		n = snprintf(line, sizeof line, "%.*e|%.*g|", p, x, p + 1, x);
		if (x < 1e10 && x > -1e10)
			snprintf(line + n, sizeof line - n, "%.*f|%.3f|%f", (int)(rnd() % 7), x, x,
			         x);
		hash(line);
	}
	printf("fuzz: %016llx\n", (unsigned long long)fnv);
}

static void formats(void)
{
	printf("%.17g %.17g %.20f\n", 0.1, 1.0 / 3, 0.1);
	printf("%.0f %.0f %.0f %.0f %.2f %.2f\n", 0.5, 1.5, 2.5, 3.5, 0.125, 2.675);
	printf("%.3e %g %.17g %e\n", 5e-324, 4.9406564584124654e-324, 1e23, 1.7976931348623157e308);
	printf("%f %.1f %.3f %.1f\n", 1e22, 0.05, 0.0005, 9.95);
	printf("%.16f %.15f %a\n", 3.141592653589793, 0.1 + 0.2, 0.1);
}

#ifndef HOST
#include <rewind/rewind.h>

static volatile sig_atomic_t caught;

static void on_usr1(int sig)
{
	caught = sig;
}

/* 16 KiB of locals per frame, 64 frames deep: 1 MiB of stack. */
static long deep(int n)
{
	volatile char frame[16 * 1024];
	frame[0] = (char)n;
	frame[sizeof frame - 1] = 1;
	return n == 0 ? frame[0] : deep(n - 1) + frame[sizeof frame - 1];
}

static void posix(void)
{
	clock_t c0 = clock();
	volatile unsigned long spin = 0;
	FILE *f;

	while (clock() == c0)
		spin++;
	printf("clock: advances\n");

	printf("stdio before write, ");
	fflush(stdout);
	if (write(1, "write: ok\n", 10) != 10)
		printf("write: failed\n");
	if (write(7, "x", 1) == -1 && errno == EBADF)
		printf("write(7): EBADF\n");

	errno = 0;
	f = fopen("notes.txt", "r");
	printf("fopen r: %s %s\n", f ? "FILE" : "NULL", errno == ENOENT ? "ENOENT" : "?");
	errno = 0;
	f = fopen("out.txt", "w");
	printf("fopen w: %s %s\n", f ? "FILE" : "NULL", errno == EROFS ? "EROFS" : "?");

	printf("getpid: %s\n", getpid() > 0 ? "positive" : "not positive");
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	printf("raise(SIGUSR1): handler %s\n", caught == SIGUSR1 ? "ran" : "did not run");
}

static void memory(void)
{
	size_t size = 64u << 20;
	char *p = malloc(size);

	if (p) {
		memset(p, 0x5a, size);
		printf("malloc 64 MiB: ok %d\n", p[size - 1]);
	} else {
		printf("malloc 64 MiB: NULL\n");
	}
	free(p);
	printf("1 MiB of stack: %ld\n", deep(64));
}
#endif

int main(void)
{
	formats();
	fuzz();
#ifndef HOST
	posix();
	memory();
	printf("raise(SIGTERM) next");
	raise(SIGTERM);
	printf("survived SIGTERM\n");
#endif
	return 0;
}
