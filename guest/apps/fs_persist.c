/*
 * fs_persist - checks that the file system (endpoint "fs") survives a reboot
 * (in images where the fs server keeps its tree on a disk through "blk").
 *
 * Boot K finds "/persist/counter" holding K-1 (ten digits and "\n") and
 * "/persist/data" holding DATA_SIZE bytes of a pattern derived from K-1; it
 * checks both and prints
 *   "fs_persist: found boot=K-1 ok"   or   "fs_persist: found boot=K-1 FAIL <why>",
 * then rewrites the data (in FS_CHUNK pieces) and the counter for boot K and
 * closes each file (close makes the change durable), and prints
 *   "fs_persist: wrote boot=K".
 * The first boot (no counter file) prints "fs_persist: first boot", creates
 * "/persist" and writes boot 1.  Exit 0 iff the check passed and the writes
 * succeeded.
 *
 * The data is written before the counter, so an interrupted run leaves a
 * counter that does not match the data (the next boot reports FAIL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/fs.h>

#define PROG        "fs_persist"
#define DIR         "/persist"
#define COUNTER     DIR "/counter"
#define DATA        DIR "/data"
#define DATA_SIZE   (20 * 1024)
#define COUNTER_LEN 11 /* "%010lu\n" */

static rw_cap fs;
static uint8_t chunk[FS_CHUNK], want[FS_CHUNK];

static uint64_t mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL; /* splitmix64 */
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* The pattern of boot k: bytes [off, off + n) of the data file. */
static void pattern(unsigned long k, size_t off, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t w = mix(((uint64_t)k << 32) ^ ((off + i) / 8));
		p[i] = (uint8_t)(w >> (8 * ((off + i) % 8)));
	}
}

static __attribute__((noreturn)) void die(const char *what, const char *path, long r)
{
	printf("%s: FAIL %s %s: %ld (%s)\n", PROG, what, path, r, fs_strerror(r));
	exit(2);
}

/* Opens path, creating it first if it does not exist. */
static long open_or_create(const char *path)
{
	long h = fs_open(fs, path);

	if (h == RW_ENOENT) {
		long r = fs_create(fs, path);
		if (r < 0)
			die("create", path, r);
		h = fs_open(fs, path);
	}
	if (h < 0)
		die("open", path, h);
	return h;
}

/* Checks boot k's data file. Returns NULL, or what is wrong. */
static const char *check_data(unsigned long k, char *why, size_t whylen)
{
	uint64_t size = 0;
	long h = fs_stat(fs, DATA, &size, NULL);

	if (h == 0 && size != DATA_SIZE) {
		snprintf(why, whylen, "%s has %lu bytes, expected %u", DATA, (unsigned long)size,
		         DATA_SIZE);
		return why;
	}
	if (h == 0)
		h = fs_open(fs, DATA);
	if (h < 0) {
		snprintf(why, whylen, "%s: %s", DATA, fs_strerror(h));
		return why;
	}
	const char *bad = NULL;
	for (size_t off = 0; off < DATA_SIZE && !bad; off += FS_CHUNK) {
		size_t n = DATA_SIZE - off < FS_CHUNK ? DATA_SIZE - off : FS_CHUNK;
		long r = fs_read(fs, h, off, chunk, n);
		if (r != (long)n) {
			snprintf(why, whylen, "read %s at %lu: %ld (%s)", DATA, (unsigned long)off,
			         r, r < 0 ? fs_strerror(r) : "short");
			bad = why;
			break;
		}
		pattern(k, off, want, n);
		for (size_t i = 0; i < n; i++) {
			if (chunk[i] != want[i]) {
				snprintf(why, whylen, "%s byte %lu is %02x, expected %02x", DATA,
				         (unsigned long)(off + i), chunk[i], want[i]);
				bad = why;
				break;
			}
		}
	}
	fs_close(fs, h);
	return bad;
}

/* Reads the counter file; returns 0 and *k, or -1 with why filled in. */
static int read_counter(unsigned long *k, char *why, size_t whylen)
{
	char text[32];
	long h = fs_open(fs, COUNTER);

	if (h < 0) {
		snprintf(why, whylen, "open %s: %s", COUNTER, fs_strerror(h));
		return -1;
	}
	long n = fs_read(fs, h, 0, text, sizeof text - 1);
	fs_close(fs, h);
	if (n != COUNTER_LEN || text[COUNTER_LEN - 1] != '\n') {
		snprintf(why, whylen, "%s: bad length %ld", COUNTER, n);
		return -1;
	}
	unsigned long v = 0;
	for (int i = 0; i < COUNTER_LEN - 1; i++) {
		if (text[i] < '0' || text[i] > '9') {
			snprintf(why, whylen, "%s: not a number", COUNTER);
			return -1;
		}
		v = v * 10 + (unsigned long)(text[i] - '0');
	}
	*k = v;
	return 0;
}

static void write_boot(unsigned long k)
{
	long h = open_or_create(DATA);
	for (size_t off = 0; off < DATA_SIZE; off += FS_CHUNK) {
		size_t n = DATA_SIZE - off < FS_CHUNK ? DATA_SIZE - off : FS_CHUNK;
		pattern(k, off, chunk, n);
		long r = fs_write(fs, h, off, chunk, n);
		if (r != (long)n)
			die("write", DATA, r < 0 ? r : RW_EINVAL);
	}
	long r = fs_close(fs, h);
	if (r < 0)
		die("close", DATA, r);

	char text[32];
	snprintf(text, sizeof text, "%010lu\n", k);
	h = open_or_create(COUNTER);
	if ((r = fs_write(fs, h, 0, text, COUNTER_LEN)) != COUNTER_LEN)
		die("write", COUNTER, r < 0 ? r : RW_EINVAL);
	if ((r = fs_close(fs, h)) < 0)
		die("close", COUNTER, r);
	printf("%s: wrote boot=%lu\n", PROG, k);
}

int main(void)
{
	char why[160];
	unsigned long k = 0;
	int ok = 1;
	long r = fs_connect("fs", &fs);

	if (r < 0)
		die("connect", "fs", r);

	r = fs_stat(fs, COUNTER, NULL, NULL);
	if (r == RW_ENOENT) {
		printf("%s: first boot\n", PROG);
		r = fs_mkdir(fs, DIR);
		if (r < 0 && r != FS_EEXIST)
			die("mkdir", DIR, r);
	} else if (r < 0) {
		die("stat", COUNTER, r);
	} else if (read_counter(&k, why, sizeof why) < 0) {
		printf("%s: found boot=? FAIL %s\n", PROG, why);
		ok = 0;
		k = 0;
	} else if (check_data(k, why, sizeof why)) {
		printf("%s: found boot=%lu FAIL %s\n", PROG, k, why);
		ok = 0;
	} else {
		printf("%s: found boot=%lu ok\n", PROG, k);
	}
	write_boot(k + 1);
	return ok ? 0 : 1;
}
