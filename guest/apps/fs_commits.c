/*
 * fs_commits - a stream of numbered, acknowledged commits for the kill test
 * (tools KillDuringCommitTest: the CLI is killed with SIGKILL mid-run).
 *
 * Finds the first N (from 1) for which "/commits/N" does not exist, then for
 * N, N+1, ... up to LAST writes "/commits/N" (size_of(N) bytes of the pattern
 * of N), closes it (close returns 0 only once the file is on disk) and prints
 *   "fs_commits: committed N"
 * A line printed is a commit acknowledged: the host may require file N to be
 * present and intact after a kill.  Prints "fs_commits: done N" and exits 0
 * after LAST; any failure prints "fs_commits: FAIL ..." and exits 2.
 *
 * The host side (KillDuringCommitTest) computes the same size and pattern.
 */
#include <stdio.h>
#include <stdlib.h>
#include <rewind/fs.h>

#define PROG "fs_commits"
#define DIR  "/commits"
#define LAST 1000

static rw_cap fs;
static uint8_t buf[4096];

/* Keep in step with KillDuringCommitTest.size / byteOf. */
static size_t size_of(unsigned long n)
{
	return 1 + (n * 997) % 1500;
}

static uint8_t byte_of(unsigned long n, size_t i)
{
	return (uint8_t)((n * 31 + i * 7 + (i >> 8)) & 0xff);
}

static __attribute__((noreturn)) void die(const char *what, unsigned long n, long r)
{
	printf("%s: FAIL %s %lu: %ld (%s)\n", PROG, what, n, r, fs_strerror(r));
	exit(2);
}

int main(void)
{
	char path[48];
	long r = fs_connect("fs", &fs);

	if (r < 0)
		die("connect", 0, r);
	r = fs_mkdir(fs, DIR);
	if (r < 0 && r != FS_EEXIST)
		die("mkdir", 0, r);

	unsigned long n = 1;
	for (;; n++) {
		snprintf(path, sizeof path, DIR "/%lu", n);
		r = fs_stat(fs, path, NULL, NULL);
		if (r == RW_ENOENT)
			break;
		if (r < 0)
			die("stat", n, r);
	}
	for (; n <= LAST; n++) {
		size_t len = size_of(n);
		snprintf(path, sizeof path, DIR "/%lu", n);
		if ((r = fs_create(fs, path)) < 0)
			die("create", n, r);
		long h = fs_open(fs, path);
		if (h < 0)
			die("open", n, h);
		for (size_t i = 0; i < len; i++)
			buf[i] = byte_of(n, i);
		if ((r = fs_write(fs, h, 0, buf, len)) != (long)len)
			die("write", n, r < 0 ? r : RW_EINVAL);
		if ((r = fs_close(fs, h)) != 0)
			die("close", n, r);
		printf("%s: committed %lu\n", PROG, n);
	}
	printf("%s: done %lu\n", PROG, n - 1);
	return 0;
}
