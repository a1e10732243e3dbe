/*
 * oracle.h - common part of the model-checked workloads (kv_check.h,
 * fs_check.h): failure reports, and what to do when a call to the server
 * comes back RW_ERECOVERED or RW_EDEAD (the code is in oracle.c).
 *
 * The program defines oracle_prog ("kv_oracle"...: PROG in messages); a
 * workload may set oracle_errname (default rw_strerror).
 *
 * Every call to the server goes through SRV_CALL:
 *   RW_ERECOVERED: the request had no effect; the same call is retried, at
 *                  most MAX_RETRIES times, then the program fails.
 *   RW_EDEAD:      rw_cap_refresh; if that fails too the server is dead:
 *                  "FAIL server dead".  Otherwise the server restarted with
 *                  empty state:
 *                  - strict mode (*_oracle): the call is retried and the
 *                    workload goes on; the next check that touches lost data
 *                    fails with "FAIL lost state: ...";
 *                  - lenient mode (*_faults): the call is dropped (SRV_CALL
 *                    yields RW_EDEAD and sets need_resync); the program then
 *                    scans, records the first piece of lost state, resets its
 *                    model to empty (checked against the server) and goes
 *                    on; it ends with "FAIL lost state: <first loss>".
 *   Any other error or mismatch: "FAIL op N (what): ...".
 */
#ifndef APPS_ORACLE_H
#define APPS_ORACLE_H

#include <stdint.h>
#include <rewind/rewind.h>

#define PROG           oracle_prog
#define MAX_RETRIES    3 /* retries of one call after RW_ERECOVERED */
#define SHOW_RECOVERED 5 /* "recovered op N" lines printed at most */

extern const char oracle_prog[];                /* the program's name (defined by it) */
extern const char *(*oracle_errname)(long err); /* names of errors in messages */

extern rw_cap srv;         /* capability of the server under test */
extern int lenient;        /* *_faults: survive a restart, report at the end */
extern int need_resync;    /* lenient: a restart happened, resync pending */
extern unsigned long opno; /* logical operations so far (the current one) */
extern char opdesc[64];    /* the current operation, for messages */
extern unsigned long recovered, restarts;
extern char lost[256]; /* lenient: first lost state found */
extern uint64_t rng;

uint64_t next_rand(void);
/* Prints how many "recovered op N" lines were not shown, if any. */
void show_hidden(void);
/* "PROG: FAIL <message>", exit 1. */
__attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...);
/* Starts logical operation number ++opno, described by fmt. */
__attribute__((format(printf, 1, 2))) void begin(const char *fmt, ...);
/* A reply that contradicts the model (see oracle.c); returns 1 (lenient). */
__attribute__((format(printf, 1, 2))) int mismatch(const char *fmt, ...);
/* A call returned RW_EDEAD: the server restarted, or died (then fail). */
void on_dead(const char *why);
/* 1: retry the call that returned r; 0: take r as the answer. */
int retry_call(long r, int *tries);
/* A result that is neither success nor an expected error. */
void bad_status(const char *call, long r);
/* Lenient mode, after a restart: scan, reset the model, scan strictly. */
void resync(int (*scan)(void), void (*reset)(void));

/* res = expr (one call to the server), retried as retry_call says. */
#define SRV_CALL(res, expr)                           \
	do {                                          \
		int tries_ = 0;                       \
		do {                                  \
			(res) = (expr);               \
		} while (retry_call((res), &tries_)); \
	} while (0)

#endif /* APPS_ORACLE_H */
