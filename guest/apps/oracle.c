/* oracle.c - common part of the model-checked workloads: see oracle.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "oracle.h"

const char *(*oracle_errname)(long err) = rw_strerror;

rw_cap srv;         /* capability of the server under test */
int lenient;        /* *_faults: survive a restart, report at the end */
int need_resync;    /* lenient: a restart happened, resync pending */
unsigned long opno; /* logical operations so far (the current one) */
char opdesc[64];    /* the current operation, for messages */
unsigned long recovered, restarts;
static unsigned long recovered_shown, recovered_hidden; /* "recovered op N" lines */
char lost[256];                                         /* lenient: first lost state found */
uint64_t rng;

uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

void show_hidden(void)
{
	if (recovered_hidden)
		printf("%s: %lu more recovered ops not shown\n", PROG, recovered_hidden);
}

__attribute__((noreturn, format(printf, 1, 2))) void fail(const char *fmt, ...)
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
__attribute__((format(printf, 1, 2))) void begin(const char *fmt, ...)
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
__attribute__((format(printf, 1, 2))) int mismatch(const char *fmt, ...)
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
void on_dead(const char *why)
{
	uint64_t gen = 0;
	long r = rw_cap_refresh(srv, &gen);

	if (r < 0)
		fail("server dead (op %lu, %s; refresh: %s)", opno, opdesc, oracle_errname(r));
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
int retry_call(long r, int *tries)
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

/* A result that is neither success nor an expected error: fails, except for
 * RW_EDEAD in lenient mode (the operation is dropped, a resync follows). */
void bad_status(const char *call, long r)
{
	if (r == RW_EDEAD && lenient)
		return;
	if (restarts && !lenient)
		fail("lost state: %s returned %ld (%s) (op %lu, %s)", call, r, oracle_errname(r),
		     opno, opdesc);
	fail("op %lu (%s): %s returned %ld (%s)", opno, opdesc, call, r, oracle_errname(r));
}

/*
 * Lenient mode, after a restart: scan() (a full scan against the model)
 * records the first lost state, then reset() empties the model and a second,
 * strict scan checks that the restarted server is empty too.
 */
void resync(int (*scan)(void), void (*reset)(void))
{
	for (int round = 0; need_resync; round++) {
		if (round > 10)
			fail("server keeps restarting");
		need_resync = 0;
		scan();
		if (need_resync)
			continue; /* restarted again during the scan */
		reset();
		unsigned long saved = restarts;
		lenient = 0;
		restarts = 0; /* any mismatch now is a plain failure */
		scan();
		restarts = saved;
		lenient = 1;
	}
}
