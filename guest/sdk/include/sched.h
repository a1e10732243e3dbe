/*
 * The SDK's <sched.h>: picolibc's, and sched_yield, which it declares only on
 * systems that claim POSIX threads or priority scheduling; the SDK's sys.c
 * implements it (YIELD: other tasks of the same priority run first).
 */
#include_next <sched.h>

#ifndef REWIND_SDK_SCHED_H
#define REWIND_SDK_SCHED_H

#if !defined(_POSIX_THREADS) && !defined(_POSIX_PRIORITY_SCHEDULING)
#ifdef __cplusplus
extern "C" {
#endif
int sched_yield(void);
#ifdef __cplusplus
}
#endif
#endif

#endif
