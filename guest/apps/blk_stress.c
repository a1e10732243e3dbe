/*
 * blk_stress - model-checked workload on the block driver (endpoint "blk").
 *
 * Opens a read-write session, checks BLK_INFO, fills the first NSECT sectors
 * (version 1 each), then runs NOPS random operations (fixed seed) over them:
 * writes of 1..8 sectors, reads of 1..8 sectors checked against the model, a
 * flush every FLUSH_EVERY operations; then a flush and a full scan.
 *
 * Every sector written carries content derived from (sector, version), with
 * a readable header, so a read tells which version it found.  The model keeps
 * the expected version of each sector; a write that failed leaves its
 * sectors "unknown" (it may or may not have reached the disk) and they are
 * not checked until written again.
 *
 * Errors do not stop the run: each one is counted and printed (the first
 * MAX_SHOWN), the first one is remembered.  On RW_EDEAD the app does what a
 * naive client does: rw_cap_refresh and carry on (it does not reopen its
 * session), so a driver restart that loses state shows up as errors.
 *
 * Ends with "blk_stress: ok ops=N errors=0" (exit 0) or
 * "blk_stress: FAIL ops=N errors=E first=<description>" (exit 1).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/blk.h>

#define PROG        "blk_stress"
#define NSECT       256 /* sectors exercised: [0, NSECT) */
#define NOPS        400
#define FLUSH_EVERY 25
#define MAX_SHOWN   20 /* error lines printed at most */
#define UNKNOWN     0  /* model: content not known */

#define HDR_MAGIC 0x5354524553534b42ULL /* "BKSSERTS" */

static rw_cap cap;
static uint32_t model[NSECT]; /* expected version per sector */
static uint32_t next_version = 1;
static unsigned long errors, shown;
static char first[200];
static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint8_t buf[BLK_MAX_COUNT * BLK_SECTOR];

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static __attribute__((format(printf, 1, 2))) void error(const char *fmt, ...)
{
	char msg[sizeof first];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	errors++;
	if (!first[0])
		snprintf(first, sizeof first, "%s", msg);
	if (shown < MAX_SHOWN) {
		shown++;
		printf("%s: error: %s\n", PROG, msg);
	}
}

/* A call failed with r: counts it; on RW_EDEAD refreshes the capability. */
static void call_failed(const char *what, long r)
{
	error("%s: %ld (%s)", what, r, blk_strerror(r));
	if (r == RW_EDEAD) {
		uint64_t gen = 0;
		long rr = rw_cap_refresh(cap, &gen);
		if (rr < 0)
			error("%s: refresh after EDEAD: %s", what, rw_strerror(rr));
		else
			printf("%s: driver restarted (generation %lu)\n", PROG, (unsigned long)gen);
	}
}

static uint64_t mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL; /* splitmix64 */
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* Content of sector s at version v: header (magic, sector, version), then
 * pseudo-random words. */
static void fill_sector(uint8_t *p, uint32_t s, uint32_t v)
{
	uint64_t w[BLK_SECTOR / 8];
	uint64_t x = mix(((uint64_t)s << 32) | v);

	w[0] = HDR_MAGIC;
	w[1] = s;
	w[2] = v;
	for (size_t i = 3; i < BLK_SECTOR / 8; i++) {
		x = mix(x);
		w[i] = x;
	}
	memcpy(p, w, BLK_SECTOR);
}

/* Checks sector s (data at p) against the model; returns 0 or -1. */
static int check_sector(const uint8_t *p, uint32_t s, const char *what)
{
	uint8_t want[BLK_SECTOR];
	uint64_t hdr[3];
	uint32_t v = model[s];

	if (v == UNKNOWN)
		return 0;
	fill_sector(want, s, v);
	if (memcmp(p, want, BLK_SECTOR) == 0)
		return 0;
	memcpy(hdr, p, sizeof hdr);
	if (hdr[0] != HDR_MAGIC)
		error("%s: sector %lu: expected version %lu, found no header", what,
		      (unsigned long)s, (unsigned long)v);
	else if (hdr[1] != s || hdr[2] != v)
		error("%s: sector %lu: expected version %lu, found sector %lu version %lu", what,
		      (unsigned long)s, (unsigned long)v, (unsigned long)hdr[1],
		      (unsigned long)hdr[2]);
	else
		error("%s: sector %lu version %lu: data differs", what, (unsigned long)s,
		      (unsigned long)v);
	return -1;
}

static void op_write(uint32_t s, uint32_t n, const char *what)
{
	uint32_t v = next_version++;

	for (uint32_t i = 0; i < n; i++)
		fill_sector(buf + i * BLK_SECTOR, s + i, v);
	long r = blk_write(cap, s, n, buf);
	for (uint32_t i = 0; i < n; i++)
		model[s + i] = r == (long)n ? v : UNKNOWN;
	if (r < 0)
		call_failed(what, r);
	else if (r != (long)n)
		error("%s: wrote %ld sectors, expected %lu", what, r, (unsigned long)n);
}

static void op_read(uint32_t s, uint32_t n, const char *what)
{
	long r = blk_read(cap, s, n, buf);

	if (r < 0) {
		call_failed(what, r);
		return;
	}
	if (r != (long)n) {
		error("%s: read %ld sectors, expected %lu", what, r, (unsigned long)n);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		check_sector(buf + i * BLK_SECTOR, s + i, what);
}

static void op_flush(const char *what)
{
	long r = blk_flush(cap);
	if (r < 0)
		call_failed(what, r);
}

static __attribute__((noreturn)) void finish(int ops)
{
	if (errors == 0) {
		printf("%s: ok ops=%d errors=0\n", PROG, ops);
		exit(0);
	}
	if (shown < errors)
		printf("%s: %lu more errors not shown\n", PROG, errors - shown);
	printf("%s: FAIL ops=%d errors=%lu first=%s\n", PROG, ops, errors, first);
	exit(1);
}

int main(void)
{
	char what[64];
	uint64_t ssize = 0, nsect = 0;

	long r = rw_cap_get("blk", &cap);
	if (r < 0) {
		error("lookup \"blk\": %s", rw_strerror(r));
		finish(0);
	}
	if ((r = blk_open(cap, 0)) < 0)
		call_failed("open", r);
	if ((r = blk_info(cap, &ssize, &nsect)) < 0)
		call_failed("info", r);
	else if (ssize != BLK_SECTOR || nsect < NSECT)
		error("info: sector size %lu, %lu sectors (need %u x %u)", (unsigned long)ssize,
		      (unsigned long)nsect, BLK_SECTOR, NSECT);
	else
		printf("%s: disk of %lu sectors\n", PROG, (unsigned long)nsect);

	/* Known starting state: version 1 everywhere. */
	for (uint32_t s = 0; s < NSECT; s += BLK_MAX_COUNT) {
		snprintf(what, sizeof what, "init write %lu+%u", (unsigned long)s, BLK_MAX_COUNT);
		op_write(s, BLK_MAX_COUNT, what);
	}

	int ops;
	for (ops = 1; ops <= NOPS; ops++) {
		uint32_t s = (uint32_t)(next_rand() % NSECT);
		uint32_t n = 1 + (uint32_t)(next_rand() % BLK_MAX_COUNT);
		int is_write = next_rand() % 100 < 45;

		if (n > NSECT - s)
			n = NSECT - s;
		snprintf(what, sizeof what, "op %d %s %lu+%lu", ops, is_write ? "write" : "read",
		         (unsigned long)s, (unsigned long)n);
		if (is_write)
			op_write(s, n, what);
		else
			op_read(s, n, what);
		if (ops % FLUSH_EVERY == 0) {
			snprintf(what, sizeof what, "op %d flush", ops);
			op_flush(what);
		}
	}
	ops--;

	op_flush("final flush");
	for (uint32_t s = 0; s < NSECT; s += BLK_MAX_COUNT) {
		snprintf(what, sizeof what, "scan %lu+%u", (unsigned long)s, BLK_MAX_COUNT);
		op_read(s, BLK_MAX_COUNT, what);
	}
	if ((r = blk_close(cap)) < 0)
		call_failed("close", r);
	finish(ops);
}
