/*
 * POSIX calls ported programs make that picolibc 1.8 leaves out and the SDK
 * provides (sys.c, include/stdio.h, include/time.h; core suite, case
 * posix_port): getline and getdelim on stdin, dprintf; remove, rename,
 * tmpfile, stat, fstat and access (no files: they fail as on an empty file
 * system); sched_yield, sysconf; clock_nanosleep, relative and TIMER_ABSTIME.
 * Each of them did not link (or was not declared) before.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fails;

static void check(int ok, const char *what)
{
	if (!ok) {
		printf("posix_port: FAIL %s (errno %d)\n", what, errno);
		fails++;
	}
}

static long long mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lines = 0;
	struct stat st;
	struct timespec ts;
	long long t0;

	/* lines of any length, the last one without a newline */
	while ((n = getline(&line, &cap, stdin)) != -1) {
		lines++;
		printf("posix_port: getline %zd [%.*s] ends %s, cap > len %d\n", n,
		       (int)strcspn(line, "\n") < 12 ? (int)strcspn(line, "\n") : 12, line,
		       line[n - 1] == '\n' ? "nl" : "eof", cap > (size_t)n);
		if (lines == 2)
			break;
	}
	while ((n = getdelim(&line, &cap, ';', stdin)) != -1) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '/';
		printf("posix_port: getdelim %zd [%s]\n", n, line);
	}
	check(getline(&line, &cap, stdin) == -1, "getline at the end");
	errno = 0;
	check(getline(NULL, &cap, stdin) == -1 && errno == EINVAL, "getline(NULL)");
	free(line);

	fflush(stdout);
	check(dprintf(1, "posix_port: dprintf %d %s\n", 42, "ok") == 26, "dprintf");
	check(dprintf(7, "x") == -1 && errno == EBADF, "dprintf(7)");

	errno = 0;
	check(remove("nothere") == -1 && errno == ENOENT, "remove");
	check(rename("a", "b") == -1 && errno == ENOENT, "rename");
	check(tmpfile() == NULL, "tmpfile");
	check(stat("x", &st) == -1 && errno == ENOENT, "stat");
	check(access("x", F_OK) == -1 && errno == ENOENT, "access");
	check(fstat(1, &st) == 0 && S_ISCHR(st.st_mode), "fstat(1)");
	check(fstat(5, &st) == -1 && errno == EBADF, "fstat(5)");

	check(sched_yield() == 0, "sched_yield");
	check(sysconf(_SC_PAGESIZE) == 4096 && sysconf(_SC_NPROCESSORS_ONLN) == 1, "sysconf");
	check(sysconf(_SC_CLK_TCK) == CLOCKS_PER_SEC, "sysconf(_SC_CLK_TCK)");
	check(sysconf(-1) == -1 && errno == EINVAL, "sysconf(-1)");

	t0 = mono_ns();
	ts.tv_sec = 0;
	ts.tv_nsec = 2000000;
	check(clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL) == 0, "clock_nanosleep");
	check(mono_ns() - t0 >= 2000000, "clock_nanosleep waited 2 ms");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000000000ll + ts.tv_nsec;
	ts.tv_nsec += 3000000;
	if (ts.tv_nsec > 999999999) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	check(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == 0, "TIMER_ABSTIME");
	check(mono_ns() - t0 >= 3000000, "TIMER_ABSTIME waited 3 ms");
	ts.tv_sec = 0;
	check(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == 0, "past TIMER_ABSTIME");
	check(clock_nanosleep((clockid_t)99, 0, &ts, NULL) == EINVAL, "clock_nanosleep(99)");

	printf("posix_port: %s\n", fails ? "FAILED" : "ok");
	return fails != 0;
}
