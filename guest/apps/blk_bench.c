/*
 * blk_bench - throughput of the block driver (endpoint "blk").
 *
 * Writes BYTES sequentially from sector 0 in requests of BLK_MAX_COUNT
 * sectors, reads them back the same way (checking a stamp in each sector),
 * then flushes; times each phase with rw_clock_ns.
 * Ends with "blk_bench: write_ns=W read_ns=R bytes=B" (exit 0), or on any
 * error "blk_bench: FAIL errors=E first=<description>" (exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/blk.h>

#define PROG  "blk_bench"
#define BYTES (4u * 1024 * 1024)
#define REQ   BLK_MAX_COUNT /* sectors per request */
#define NSECT (BYTES / BLK_SECTOR)

static rw_cap cap;
static unsigned long errors;
static char first[160];
static uint8_t buf[REQ * BLK_SECTOR];

/* Counts an error: r < 0 is a failed call, anything else a bad result. */
static void error(const char *what, uint64_t sector, long r)
{
	char msg[sizeof first];

	if (r < 0)
		snprintf(msg, sizeof msg, "%s sector %lu: %ld (%s)", what, (unsigned long)sector, r,
		         blk_strerror(r));
	else
		snprintf(msg, sizeof msg, "%s sector %lu: wrong result", what,
		         (unsigned long)sector);
	errors++;
	if (!first[0])
		snprintf(first, sizeof first, "%s", msg);
	if (errors <= 10)
		printf("%s: error: %s\n", PROG, msg);
	if (r == RW_EDEAD)
		rw_cap_refresh(cap, NULL);
}

/* Stamps each sector of the request with its number (first 8 bytes). */
static void stamp(uint64_t sector)
{
	for (unsigned i = 0; i < REQ; i++) {
		uint64_t s = sector + i;
		memcpy(buf + i * BLK_SECTOR, &s, sizeof s);
	}
}

static int stamped(uint64_t sector)
{
	for (unsigned i = 0; i < REQ; i++) {
		uint64_t s;
		memcpy(&s, buf + i * BLK_SECTOR, sizeof s);
		if (s != sector + i)
			return 0;
	}
	return 1;
}

int main(void)
{
	uint64_t ssize = 0, nsect = 0;
	long r = rw_cap_get("blk", &cap);

	if (r < 0) {
		printf("%s: FAIL errors=1 first=lookup \"blk\": %s\n", PROG, rw_strerror(r));
		return 1;
	}
	if ((r = blk_open(cap, 0)) < 0)
		error("open", 0, r);
	if ((r = blk_info(cap, &ssize, &nsect)) < 0)
		error("info", 0, r);
	else if (ssize != BLK_SECTOR || nsect < NSECT)
		printf("%s: disk too small: %lu sectors of %lu bytes, need %u\n", PROG,
		       (unsigned long)nsect, (unsigned long)ssize, (unsigned)NSECT);
	if (errors || ssize != BLK_SECTOR || nsect < NSECT) {
		printf("%s: FAIL errors=%lu first=%s\n", PROG, errors ? errors : 1,
		       first[0] ? first : "disk too small");
		return 1;
	}

	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7 + 1);

	uint64_t t0 = rw_clock_ns();
	for (uint64_t s = 0; s < NSECT; s += REQ) {
		stamp(s);
		if ((r = blk_write(cap, s, REQ, buf)) != REQ)
			error("write", s, r);
	}
	uint64_t t1 = rw_clock_ns();
	for (uint64_t s = 0; s < NSECT; s += REQ) {
		if ((r = blk_read(cap, s, REQ, buf)) != REQ)
			error("read", s, r);
		else if (!stamped(s))
			error("read (data)", s, 0);
	}
	uint64_t t2 = rw_clock_ns();
	if ((r = blk_flush(cap)) < 0)
		error("flush", 0, r);
	uint64_t t3 = rw_clock_ns();
	blk_close(cap);

	if (errors) {
		printf("%s: FAIL errors=%lu first=%s\n", PROG, errors, first);
		return 1;
	}
	uint64_t wns = t1 - t0, rns = t2 - t1;
	printf("%s: %u requests of %u bytes each way; write %lu KiB/s, read %lu KiB/s, "
	       "flush %lu ns\n",
	       PROG, (unsigned)(NSECT / REQ), (unsigned)(REQ * BLK_SECTOR),
	       (unsigned long)(wns ? (uint64_t)BYTES * 1000000000 / 1024 / wns : 0),
	       (unsigned long)(rns ? (uint64_t)BYTES * 1000000000 / 1024 / rns : 0),
	       (unsigned long)(t3 - t2));
	printf("%s: write_ns=%lu read_ns=%lu bytes=%lu\n", PROG, (unsigned long)wns,
	       (unsigned long)rns, (unsigned long)BYTES);
	return 0;
}
