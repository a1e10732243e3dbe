/*
 * The SDK's <time.h>: picolibc's, and what it declares only on systems that
 * claim POSIX timers, which the SDK's sys.c implements: clock_gettime,
 * clock_getres and nanosleep, and the clocks they take.  CLOCK_REALTIME is
 * the wall clock (rw_wall_clock_ns), the others the monotonic clock since
 * boot (the CPU-time ones too: a task has no CPU clock of its own, as for
 * clock()).  Also clock_nanosleep (relative, or TIMER_ABSTIME), which
 * picolibc declares only with _POSIX_CLOCK_SELECTION.
 */
#include_next <time.h>

#ifndef REWIND_SDK_TIME_H
#define REWIND_SDK_TIME_H

#ifndef CLOCK_REALTIME_COARSE
#define CLOCK_REALTIME_COARSE ((clockid_t)0)
#endif
#ifndef CLOCK_PROCESS_CPUTIME_ID
#define CLOCK_PROCESS_CPUTIME_ID ((clockid_t)2)
#endif
#ifndef CLOCK_THREAD_CPUTIME_ID
#define CLOCK_THREAD_CPUTIME_ID ((clockid_t)3)
#endif
#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC ((clockid_t)4)
#endif
#ifndef CLOCK_MONOTONIC_RAW
#define CLOCK_MONOTONIC_RAW ((clockid_t)5)
#endif
#ifndef CLOCK_MONOTONIC_COARSE
#define CLOCK_MONOTONIC_COARSE ((clockid_t)6)
#endif
#ifndef CLOCK_BOOTTIME
#define CLOCK_BOOTTIME ((clockid_t)7)
#endif

#if !defined(_POSIX_TIMERS)
#ifdef __cplusplus
extern "C" {
#endif
int clock_gettime(clockid_t clock_id, struct timespec *tp);
int clock_getres(clockid_t clock_id, struct timespec *res);
int nanosleep(const struct timespec *rqtp, struct timespec *rmtp);
#ifdef __cplusplus
}
#endif
#endif

#if !defined(_POSIX_CLOCK_SELECTION)
#ifdef __cplusplus
extern "C" {
#endif
int clock_nanosleep(clockid_t clock_id, int flags, const struct timespec *rqtp,
                    struct timespec *rmtp);
#ifdef __cplusplus
}
#endif
#endif

#endif
