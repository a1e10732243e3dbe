/*
 * fs_demo - file system workload checked against a local model.
 * Prints "fs_demo: ok (N ops)" and exits 0, or "fs_demo: FAIL ..." and 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/fs.h>

#define NFILES   6
#define FILE_CAP 20000

static const char *const dirs[] = { "/demo", "/demo/a", "/demo/a/deep", "/demo/b" };

static struct {
	const char *path;
	size_t size;
	unsigned char data[FILE_CAP];
} files[NFILES] = {
	{ .path = "/demo/readme" },     { .path = "/demo/a/one" },   { .path = "/demo/a/two" },
	{ .path = "/demo/a/deep/big" }, { .path = "/demo/b/empty" }, { .path = "/demo/b/sparse" },
};

static rw_cap fs;
static unsigned long ops;
static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static unsigned char rbuf[FILE_CAP + 100];

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fail(const char *what, const char *path, long r)
{
	printf("fs_demo: FAIL %s %s: %ld %s\n", what, path, r, fs_strerror(r));
	exit(1);
}

static void expect(long r, long want, const char *what, const char *path)
{
	ops++;
	if (r != want)
		fail(what, path, r);
}

/* Writes n model bytes at off through a fresh handle. */
static void write_model(int f, size_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		files[f].data[off + i] = (unsigned char)next_rand();
	if (off > files[f].size)
		memset(files[f].data + files[f].size, 0, off - files[f].size);
	long h = fs_open(fs, files[f].path);
	ops++;
	if (h <= 0)
		fail("open", files[f].path, h);
	expect(fs_write(fs, h, off, files[f].data + off, n), (long)n, "write", files[f].path);
	expect(fs_close(fs, h), 0, "close", files[f].path);
	if (off + n > files[f].size)
		files[f].size = off + n;
}

static void verify(int f)
{
	uint64_t size = 0;
	int is_dir = 1;

	expect(fs_stat(fs, files[f].path, &size, &is_dir), 0, "stat", files[f].path);
	if (size != files[f].size || is_dir)
		fail("stat size", files[f].path, (long)size);
	long h = fs_open(fs, files[f].path);
	ops++;
	if (h <= 0)
		fail("open", files[f].path, h);
	/* Ask for more than there is: the read must stop at the end. */
	memset(rbuf, 0xee, sizeof rbuf);
	expect(fs_read(fs, h, 0, rbuf, sizeof rbuf), (long)files[f].size, "read", files[f].path);
	if (memcmp(rbuf, files[f].data, files[f].size) != 0)
		fail("data mismatch", files[f].path, 0);
	/* An unaligned read in the middle. */
	if (files[f].size > 5000) {
		expect(fs_read(fs, h, 4093, rbuf, 900), 900, "read middle", files[f].path);
		if (memcmp(rbuf, files[f].data + 4093, 900) != 0)
			fail("data mismatch (middle)", files[f].path, 0);
	}
	expect(fs_close(fs, h), 0, "close", files[f].path);
}

static void verify_all(void)
{
	for (int f = 0; f < NFILES; f++)
		if (files[f].path)
			verify(f);
}

/* Lists dir and checks that it holds exactly the expected names. */
static void check_list(const char *dir, const char *const *names, int n)
{
	char name[FS_NAME_MAX + 1];
	int i;

	for (i = 0;; i++) {
		long r = fs_list(fs, dir, (uint64_t)i, name, NULL);
		ops++;
		if (r == RW_ENOENT)
			break;
		if (r < 0)
			fail("list", dir, r);
		if (i >= n || strcmp(name, names[i]) != 0)
			fail("list entry", name, i);
	}
	if (i != n)
		fail("list count", dir, i);
}

int main(void)
{
	long r = fs_connect("fs", &fs);
	if (r < 0)
		fail("connect", "fs", r);

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		expect(fs_mkdir(fs, dirs[i]), 0, "mkdir", dirs[i]);
	for (int f = 0; f < NFILES; f++)
		expect(fs_create(fs, files[f].path), 0, "create", files[f].path);
	printf("fs_demo: created %d directories and %d files\n",
	       (int)(sizeof dirs / sizeof dirs[0]), NFILES);

	/* Contents: small, multi-chunk (> 4 KiB), empty, sparse, appended. */
	write_model(0, 0, 100);
	write_model(1, 0, 4096);
	write_model(2, 0, 4097);
	write_model(3, 0, 15000);
	write_model(3, 15000, 5000); /* append */
	write_model(3, 3000, 6000);  /* overwrite across chunks */
	write_model(5, 9000, 10);    /* hole of 9000 zero bytes */
	verify_all();
	printf("fs_demo: wrote and verified %d files (largest %lu bytes)\n", NFILES,
	       (unsigned long)files[3].size);

	static const char *const demo_entries[] = { "a", "b", "readme" };
	static const char *const a_entries[] = { "deep", "one", "two" };
	check_list("/demo", demo_entries, 3);
	check_list("/demo/a", a_entries, 3);
	printf("fs_demo: listed directories\n");

	/* Errors. */
	expect(fs_create(fs, "/demo/readme"), FS_EEXIST, "create existing", "/demo/readme");
	expect(fs_mkdir(fs, "/demo/readme/x"), FS_ENOTDIR, "mkdir under file", "/demo/readme/x");
	expect(fs_open(fs, "/demo/nothing"), RW_ENOENT, "open missing", "/demo/nothing");
	expect(fs_open(fs, "/demo/a"), FS_EISDIR, "open directory", "/demo/a");
	expect(fs_create(fs, "/demo/../x"), RW_EINVAL, "create dot-dot", "/demo/../x");
	expect(fs_create(fs, "/demo/"), RW_EINVAL, "create trailing slash", "/demo/");
	expect(fs_create(fs, "relative"), RW_EINVAL, "create relative", "relative");
	expect(fs_create(fs, "/demo/a-name-that-is-longer-than-32-chars"), RW_EINVAL,
	       "create long name", "/demo/a-name...");
	expect(fs_unlink(fs, "/demo/a"), FS_ENOTEMPTY, "unlink non-empty", "/demo/a");
	expect(fs_read(fs, 12345, 0, rbuf, 10), FS_EBADF, "read bad handle", "-");
	printf("fs_demo: error cases ok\n");

	/* Unlink: a file, then a whole emptied directory. */
	expect(fs_unlink(fs, "/demo/a/two"), 0, "unlink", "/demo/a/two");
	files[2].path = NULL;
	expect(fs_stat(fs, "/demo/a/two", NULL, NULL), RW_ENOENT, "stat unlinked", "/demo/a/two");
	expect(fs_unlink(fs, "/demo/a/deep/big"), 0, "unlink", "/demo/a/deep/big");
	files[3].path = NULL;
	expect(fs_unlink(fs, "/demo/a/deep"), 0, "unlink dir", "/demo/a/deep");
	static const char *const a_after[] = { "one" };
	check_list("/demo/a", a_after, 1);
	verify_all();
	printf("fs_demo: unlinked 2 files and 1 directory\n");

	printf("fs_demo: ok (%lu ops)\n", ops);
	return 0;
}
