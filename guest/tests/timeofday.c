/*
 * timeofday - the time functions a ported C program calls: time(),
 * gettimeofday(), clock_gettime() on the wall and the monotonic clocks,
 * clock_getres(), and sleeping with sleep(), usleep() and nanosleep().
 *
 * Checks that the clocks agree with each other and that each sleep lasts at
 * least what it asked for, then prints the wall clock as a date, UTC
 * ("timeofday: 2001-02-03 04:05:06 UTC, 1234567890 s"), and "timeofday: ok".
 * The date is the host's at boot unless the system was booted with
 * `rewind boot --wall-clock TIME` (or a test case's `wall_clock`).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int failed;

static void check(int ok, const char *what)
{
	if (!ok) {
		printf("timeofday: FAIL %s\n", what);
		failed = 1;
	}
}

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ns_of(&t);
}

int main(void)
{
	struct timespec rt, mono, res, req = { 0, 3000000 }, rem = { 7, 7 };
	struct timeval tv;
	time_t t0, t1;

	t0 = time(NULL);
	check(gettimeofday(&tv, NULL) == 0, "gettimeofday");
	check(clock_gettime(CLOCK_REALTIME, &rt) == 0, "clock_gettime(CLOCK_REALTIME)");
	t1 = time(&t1);
	check(t0 <= tv.tv_sec && tv.tv_sec <= rt.tv_sec && rt.tv_sec <= t1,
	      "the wall clocks disagree");
	check(tv.tv_usec >= 0 && tv.tv_usec < 1000000 && rt.tv_nsec >= 0 && rt.tv_nsec < 1000000000,
	      "fractions out of range");

	check(clock_gettime(CLOCK_MONOTONIC, &mono) == 0, "clock_gettime(CLOCK_MONOTONIC)");
	check(ns_of(&mono) > 0 && ns_of(&mono) < ns_of(&rt),
	      "the monotonic clock counts from boot");
	check(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mono) == 0, "CLOCK_PROCESS_CPUTIME_ID");
	check(clock_getres(CLOCK_REALTIME, &res) == 0 && res.tv_sec == 0 && res.tv_nsec == 1,
	      "clock_getres");
	errno = 0;
	check(clock_gettime((clockid_t)99, &mono) == -1 && errno == EINVAL,
	      "an unknown clock is EINVAL");

	int64_t a = mono_ns();
	check(usleep(2000) == 0, "usleep");
	int64_t b = mono_ns();
	check(nanosleep(&req, &rem) == 0 && rem.tv_sec == 0 && rem.tv_nsec == 0, "nanosleep");
	int64_t c = mono_ns();
	check(b - a >= 2000000, "usleep(2000) returned early");
	check(c - b >= 3000000, "nanosleep of 3 ms returned early");
	req.tv_nsec = 1000000000;
	errno = 0;
	check(nanosleep(&req, NULL) == -1 && errno == EINVAL, "nanosleep of tv_nsec 1e9 is EINVAL");
	check(sleep(0) == 0, "sleep(0)");

	struct tm tm;
	time_t now = time(NULL);
	char date[64];
	check(gmtime_r(&now, &tm) != NULL, "gmtime_r");
	strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
	printf("timeofday: %s UTC, %lld s\n", date, (long long)now);
	if (failed)
		return 1;
	printf("timeofday: ok\n");
	return 0;
}
