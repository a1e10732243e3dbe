/*
 * oracle.h - common part of the model-checked workloads (kv_check.h,
 * fs_check.h): failure reports, and what to do when a call to the server
 * comes back RW_ERECOVERED or RW_EDEAD.  Everything is static; include once.
 *
 * The includer defines PROG ("kv_oracle"...) and may define ERRNAME(r)
 * (default rw_strerror).
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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/rewind.h>

#ifndef ERRNAME
#define ERRNAME(r)	rw_strerror(r)
#endif

#define MAX_RETRIES	3		/* retries of one call after RW_ERECOVERED */
#define SHOW_RECOVERED	5		/* "recovered op N" lines printed at most */

static int srv;				/* capability of the server under test */
static int lenient;			/* *_faults: survive a restart, report at the end */
static int need_resync;			/* lenient: a restart happened, resync pending */
static unsigned long opno;		/* logical operations so far (the current one) */
static char opdesc[64];			/* the current operation, for messages */
static unsigned long recovered, restarts;
static unsigned long recovered_shown, recovered_hidden;	/* "recovered op N" lines */
static char lost[256];			/* lenient: first lost state found */
static uint64_t rng;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void show_hidden(void)
{
	if (recovered_hidden)
		printf("%s: %lu more recovered ops not shown\n", PROG, recovered_hidden);
}

static __attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	show_hidden();
	printf("%s: FAIL %s\n", PROG, msg);
	exit(1);
}

/* Starts logical operation number ++opno, described by fmt. */
static __attribute__((format(printf, 1, 2))) void begin(const char *fmt, ...)
{
	va_list ap;

	opno++;
	va_start(ap, fmt);
	vsnprintf(opdesc, sizeof opdesc, fmt, ap);
	va_end(ap);
}

/*
 * Reports a reply that contradicts the model.  Before any restart that is a
 * plain failure; after one it is lost state: fatal in strict mode, recorded
 * (first one only) in lenient mode.  Returns 1 (lenient) so that the caller
 * can stop checking.
 */
static __attribute__((format(printf, 1, 2))) int mismatch(const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (restarts == 0)
		fail("op %lu (%s): %s", opno, opdesc, msg);
	if (!lenient)
		fail("lost state: %s (op %lu, %s)", msg, opno, opdesc);
	if (!lost[0])
		snprintf(lost, sizeof lost, "%s (op %lu, %s)", msg, opno, opdesc);
	return 1;
}

/* A call returned RW_EDEAD: the server restarted, or died (then fail). */
static void on_dead(const char *why)
{
	uint64_t gen = 0;
	long r = rw_cap_refresh(srv, &gen);

	if (r < 0)
		fail("server dead (op %lu, %s; refresh: %s)", opno, opdesc, ERRNAME(r));
	restarts++;
	if (why)
		printf("%s: %s -> EDEAD, server restarted (generation %lu)\n", PROG, why,
		       (unsigned long)gen);
	else
		printf("%s: server restarted (generation %lu)\n", PROG, (unsigned long)gen);
}

/*
 * Decides what to do with the status r of one call: returns 1 to retry the
 * call, 0 to take r as the answer (in lenient mode RW_EDEAD is returned and
 * need_resync is set: the caller drops the operation).
 */
static int retry_call(long r, int *tries)
{
	if (r == RW_ERECOVERED) {
		recovered++;
		if (recovered_shown < SHOW_RECOVERED) {
			recovered_shown++;
			printf("%s: recovered op %lu\n", PROG, opno);
		} else {
			recovered_hidden++;
		}
		if (++*tries > MAX_RETRIES)
			fail("op %lu (%s): ERECOVERED %d times in a row", opno, opdesc, *tries);
		return 1;
	}
	if (r == RW_EDEAD) {
		on_dead(NULL);
		if (lenient) {
			need_resync = 1;
			return 0;
		}
		return 1;
	}
	return 0;
}

/* res = expr (one call to the server), retried as retry_call says. */
#define SRV_CALL(res, expr)						\
	do {								\
		int tries_ = 0;						\
		do {							\
			(res) = (expr);					\
		} while (retry_call((res), &tries_));			\
	} while (0)

/* A result that is neither success nor an expected error: fails, except for
 * RW_EDEAD in lenient mode (the operation is dropped, a resync follows). */
static void bad_status(const char *call, long r)
{
	if (r == RW_EDEAD && lenient)
		return;
	if (restarts && !lenient)
		fail("lost state: %s returned %ld (%s) (op %lu, %s)", call, r, ERRNAME(r),
		     opno, opdesc);
	fail("op %lu (%s): %s returned %ld (%s)", opno, opdesc, call, r, ERRNAME(r));
}

/*
 * Lenient mode, after a restart: scan() (a full scan against the model)
 * records the first lost state, then reset() empties the model and a second,
 * strict scan checks that the restarted server is empty too.
 */
static __attribute__((unused)) void resync(int (*scan)(void), void (*reset)(void))
{
	for (int round = 0; need_resync; round++) {
		if (round > 10)
			fail("server keeps restarting");
		need_resync = 0;
		scan();
		if (need_resync)
			continue;		/* restarted again during the scan */
		reset();
		unsigned long saved = restarts;
		lenient = 0;
		restarts = 0;			/* any mismatch now is a plain failure */
		scan();
		restarts = saved;
		lenient = 1;
	}
}

#endif /* APPS_ORACLE_H */
