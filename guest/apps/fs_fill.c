/*
 * fs_fill - fills the file system (endpoint "fs") until its server's heap is full.
 *
 * Writes files "/fN" of FILE_SIZE bytes each, in FS_CHUNK pieces, each with its own
 * pattern, until the server refuses one with RW_ENOMEM (its heap limit) or MAX_FILES
 * exist, then reads every complete file back and checks it.  The server's heap grows
 * in small steps all the way to its limit on the way.  Prints
 *   "fs_fill: ok files=N full=yes|no"   or   "fs_fill: FAIL <why>"
 * and exits 0 iff every complete file read back intact and at least MIN_FILES fit.
 */
#include <stdio.h>
#include <stdint.h>
#include <rewind/fs.h>

#define PROG      "fs_fill"
#define FILE_SIZE (80 * 1024)
#define MAX_FILES 64
#define MIN_FILES 29

static rw_cap fs;
static uint8_t chunk[FS_CHUNK], got[FS_CHUNK];

static void pattern(int file, long off, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((file * 131) ^ ((off + (long)i) * 7) ^ ((off + (long)i) >> 9));
}

static int fail(const char *what, int file, long err)
{
	printf(PROG ": FAIL %s /f%d: %s\n", what, file, fs_strerror(err));
	return 1;
}

/* Writes file N; returns 1 if written whole, 0 if the server ran out of memory, -1 on error. */
static int write_file(int n, const char *path)
{
	long h = fs_create(fs, path);
	if (h == RW_ENOMEM)
		return 0;
	if (h < 0)
		return fail("create", n, h), -1;
	h = fs_open(fs, path);
	if (h < 0)
		return fail("open", n, h), -1;
	for (long off = 0; off < FILE_SIZE; off += FS_CHUNK) {
		pattern(n, off, chunk, FS_CHUNK);
		long r = fs_write(fs, h, (uint64_t)off, chunk, FS_CHUNK);
		if (r == RW_ENOMEM) {
			fs_close(fs, h);
			fs_unlink(fs, path);
			return 0;
		}
		if (r != FS_CHUNK)
			return fail("write", n, r), -1;
	}
	long c = fs_close(fs, h);
	if (c < 0)
		return fail("close", n, c), -1;
	return 1;
}

int main(void)
{
	long c = fs_connect("fs", &fs);
	if (c < 0) {
		printf(PROG ": FAIL connect: %s\n", fs_strerror(c));
		return 1;
	}
	char path[16];
	int files = 0, full = 0;
	while (files < MAX_FILES) {
		snprintf(path, sizeof path, "/f%d", files);
		int r = write_file(files, path);
		if (r < 0)
			return 1;
		if (r == 0) {
			full = 1;
			break;
		}
		files++;
	}
	for (int n = 0; n < files; n++) {
		snprintf(path, sizeof path, "/f%d", n);
		long h = fs_open(fs, path);
		if (h < 0)
			return fail("reopen", n, h);
		for (long off = 0; off < FILE_SIZE; off += FS_CHUNK) {
			long r = fs_read(fs, h, (uint64_t)off, got, FS_CHUNK);
			if (r != FS_CHUNK)
				return fail("read", n, r);
			pattern(n, off, chunk, FS_CHUNK);
			for (int i = 0; i < FS_CHUNK; i++)
				if (got[i] != chunk[i]) {
					printf(PROG ": FAIL /f%d differs at byte %ld\n", n,
					       off + i);
					return 1;
				}
		}
		fs_close(fs, h);
	}
	if (files < MIN_FILES) {
		printf(PROG ": FAIL only %d files of %d bytes fit\n", files, FILE_SIZE);
		return 1;
	}
	printf(PROG ": ok files=%d full=%s\n", files, full ? "yes" : "no");
	return 0;
}
