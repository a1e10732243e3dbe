/* fs_check.c - the model-checked file system workload: see fs_check.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs_check.h"

const struct fs_node tree[] = {
	{ "/", -1, 1 },      { "/d0", 0, 1 },   { "/d1", 0, 1 },     { "/d1/e", 2, 1 },
	{ "/d2", 0, 1 },     { "/t0", 0, 0 },   { "/t1", 0, 0 },     { "/d0/a", 1, 0 },
	{ "/d0/b", 1, 0 },   { "/d0/c", 1, 0 }, { "/d0/d", 1, 0 },   { "/d1/a", 2, 0 },
	{ "/d1/b", 2, 0 },   { "/d1/c", 2, 0 }, { "/d1/e/a", 3, 0 }, { "/d1/e/b", 3, 0 },
	{ "/d1/e/c", 3, 0 }, { "/d2/a", 4, 0 }, { "/d2/b", 4, 0 },   { "/d2/c", 4, 0 },
	{ "/d2/d", 4, 0 },
};

/* Error names in the oracle's messages: the fs server's own first. */
static __attribute__((constructor)) void use_fs_error_names(void)
{
	oracle_errname = fs_strerror;
}

struct fs_model model[NNODES];
static unsigned long seq;
static unsigned char wbuf[FMAX], rbuf[FS_CHUNK];

static const char *base_name(int i)
{
	const char *s = strrchr(tree[i].path, '/');
	return s + 1;
}

void reset_model(void)
{
	memset(model, 0, sizeof model);
	model[0].present = 1; /* "/" */
	seq = 0;
}

/* ---- raw requests that return more than the client library does (the
 * stubs generated from guest/abi/fs.proto) ---- */

/* Opens path: returns the handle, *size = file size. */
static long x_open(const char *path, uint64_t *size)
{
	size_t plen = strlen(path);
	uint64_t h = 0;

	memcpy(rw_ipc_buf(), path, plen + 1);
	long r = fs_call_open(srv, plen, &h, size);
	return r < 0 ? r : (long)h;
}

/* One WRITE of n <= FS_CHUNK bytes; *size = file size after it. */
static long x_write(long h, uint64_t off, const void *buf, size_t n, uint64_t *size)
{
	uint64_t wrote = 0, sz = 0;

	memcpy(rw_ipc_buf(), buf, n);
	long r = fs_call_write(srv, (uint64_t)h, off, n, &wrote, &sz);
	if (r < 0)
		return r;
	if (wrote != n)
		return RW_EINVAL; /* malformed reply */
	*size = sz;
	return 0;
}

/* One READ of n <= FS_CHUNK bytes into rbuf; returns bytes read, *size = file size. */
static long x_read(long h, uint64_t off, size_t n, uint64_t *size)
{
	uint64_t got = 0, sz = 0;
	long r = fs_call_read(srv, (uint64_t)h, off, n, &got, &sz);

	if (r < 0)
		return r;
	if (got > n)
		return RW_EINVAL; /* malformed reply */
	memcpy(rbuf, rw_ipc_buf(), got);
	*size = sz;
	return (long)got;
}

/* ---- operations; each returns 0, or 1 if it stopped early (lenient) ---- */

/* What a request on node i should find: 1 exists, 0 missing (ENOENT). */
static int reachable(int i)
{
	return i == 0 || (model[tree[i].parent].present && reachable(tree[i].parent));
}

/* Checks r against the expected error `want` (0 = success). Returns 0 if
 * r == want, else reports (bad_status or mismatch) and returns 1. */
static int expect(const char *call, long r, long want)
{
	if (r == want)
		return 0;
	if (r < 0 && r != RW_ENOENT && r != FS_EEXIST && r != FS_ENOTEMPTY) {
		bad_status(call, r);
		return 1;
	}
	mismatch("%s: %s, expected %s", call, r > 0 ? "success" : fs_strerror(r),
	         want ? fs_strerror(want) : "success");
	return 1;
}

int op_make(int i)
{
	long r, want;

	begin("%s %s", tree[i].is_dir ? "mkdir" : "create", tree[i].path);
	want = !reachable(i) ? RW_ENOENT : model[i].present ? FS_EEXIST : 0;
	if (tree[i].is_dir)
		SRV_CALL(r, fs_mkdir(srv, tree[i].path));
	else
		SRV_CALL(r, fs_create(srv, tree[i].path));
	if (expect(tree[i].is_dir ? "mkdir" : "create", r, want))
		return 1;
	if (want == 0) {
		model[i].present = 1;
		model[i].seq = ++seq;
		model[i].size = 0;
	}
	return 0;
}

/* Opens file i; returns the handle, 0 if it is (rightly) missing, or -1
 * after a reported problem. */
static long open_file(int i)
{
	uint64_t size = 0;
	long h;

	SRV_CALL(h, x_open(tree[i].path, &size));
	if (!model[i].present || !reachable(i)) {
		if (h > 0)
			fs_close(srv, h); /* opened a file that should not exist */
		return expect("open", h, RW_ENOENT) ? -1 : 0;
	}
	if (h <= 0) {
		if (h == RW_ENOENT)
			mismatch("file %s missing%s", tree[i].path,
			         restarts ? " after restart" : "");
		else
			bad_status("open", h);
		return -1;
	}
	if (size != model[i].size) {
		mismatch("open %s: size %lu, expected %lu", tree[i].path, (unsigned long)size,
		         (unsigned long)model[i].size);
		return -1;
	}
	return h;
}

static int close_file(long h)
{
	long r;

	SRV_CALL(r, fs_close(srv, h));
	if (r != 0) {
		bad_status("close", r);
		return 1;
	}
	return 0;
}

int op_write(int i)
{
	size_t size = model[i].size;
	size_t len = next_rand() % 4 == 0 ? 4097 + next_rand() % 5000 : 1 + next_rand() % 700;
	size_t off = next_rand() % 4 == 0 ? next_rand() % (size + 600) : next_rand() % (size + 1);

	if (len > FMAX)
		len = FMAX;
	if (off + len > FMAX)
		off = FMAX - len;
	for (size_t j = 0; j < len; j++)
		wbuf[j] = (unsigned char)next_rand();
	begin("write %s off %u len %u", tree[i].path, (unsigned)off, (unsigned)len);
	long h = open_file(i);
	if (h <= 0)
		return h < 0;

	size_t end = off + len > size ? off + len : size;
	for (size_t done = 0; done < len;) {
		size_t n = len - done < FS_CHUNK ? len - done : FS_CHUNK;
		uint64_t fsize = 0;
		long r;
		SRV_CALL(r, x_write(h, off + done, wbuf + done, n, &fsize));
		if (r != 0) {
			bad_status("write", r);
			return 1;
		}
		done += n;
		size_t want = off + done > size ? off + done : size;
		if (fsize != want)
			return mismatch("write %s: size %lu, expected %lu", tree[i].path,
			                (unsigned long)fsize, (unsigned long)want);
	}
	if (close_file(h))
		return 1;
	if (off > size)
		memset(model[i].data + size, 0, off - size); /* hole */
	memcpy(model[i].data + off, wbuf, len);
	model[i].size = end;
	return 0;
}

/* Reads len bytes at off of file i through handle h and compares. */
static int read_check(int i, long h, size_t off, size_t len)
{
	size_t size = model[i].size;

	for (size_t pos = off; pos < off + len;) {
		size_t n = off + len - pos < FS_CHUNK ? off + len - pos : FS_CHUNK;
		size_t want = pos >= size ? 0 : size - pos < n ? size - pos : n;
		uint64_t fsize = 0;
		long got;
		SRV_CALL(got, x_read(h, pos, n, &fsize));
		if (got < 0) {
			bad_status("read", got);
			return 1;
		}
		if (fsize != size)
			return mismatch("read %s: size %lu, expected %lu", tree[i].path,
			                (unsigned long)fsize, (unsigned long)size);
		if ((size_t)got != want)
			return mismatch("read %s at %u: %ld bytes, expected %u", tree[i].path,
			                (unsigned)pos, got, (unsigned)want);
		if (memcmp(rbuf, model[i].data + pos, want) != 0)
			return mismatch("read %s at %u: data differs", tree[i].path, (unsigned)pos);
		if (want < n)
			break; /* end of file */
		pos += n;
	}
	return 0;
}

int op_read(int i)
{
	size_t size = model[i].size;
	size_t off = next_rand() % 3 == 0 ? 0 : next_rand() % (size + 100);
	size_t len = next_rand() % 3 == 0 ? size + 50 : 1 + next_rand() % 5000;

	begin("read %s off %u len %u", tree[i].path, (unsigned)off, (unsigned)len);
	long h = open_file(i);
	if (h <= 0)
		return h < 0;
	if (read_check(i, h, off, len))
		return 1;
	return close_file(h);
}

/* Stats node i and compares kind and size. */
static int check_stat(int i)
{
	uint64_t size = 0;
	int is_dir = 0;
	long r;

	SRV_CALL(r, fs_stat(srv, tree[i].path, &size, &is_dir));
	if (!model[i].present || !reachable(i))
		return expect("stat", r, RW_ENOENT);
	if (r == RW_ENOENT)
		return mismatch("%s missing%s", tree[i].path, restarts ? " after restart" : "");
	if (r != 0) {
		bad_status("stat", r);
		return 1;
	}
	if (is_dir != tree[i].is_dir)
		return mismatch("stat %s: is_dir %d", tree[i].path, is_dir);
	if (!is_dir && size != model[i].size)
		return mismatch("stat %s: size %lu, expected %lu", tree[i].path,
		                (unsigned long)size, (unsigned long)model[i].size);
	return 0;
}

int op_stat(int i)
{
	begin("stat %s", tree[i].path);
	return check_stat(i);
}

/* Lists directory d: its entries, in creation order, with kinds and sizes. */
static int check_list(int d)
{
	int kids[NNODES], nk = 0;
	char name[FS_NAME_MAX + 1];

	for (int i = 1; i < NNODES; i++) { /* the model's entries, by seq */
		if (tree[i].parent != d || !model[i].present)
			continue;
		int k = nk++;
		while (k > 0 && model[kids[k - 1]].seq > model[i].seq) {
			kids[k] = kids[k - 1];
			k--;
		}
		kids[k] = i;
	}
	int exists = model[d].present && reachable(d);
	for (int idx = 0;; idx++) {
		uint64_t size = 0;
		long r;
		if (idx > NNODES + 4)
			return mismatch("list %s does not end", tree[d].path);
		SRV_CALL(r, fs_list(srv, tree[d].path, (uint64_t)idx, name, &size));
		if (!exists)
			return expect("list", r, RW_ENOENT);
		if (r == RW_ENOENT) {
			if (idx < nk)
				return mismatch("%s/%s not listed%s", d ? tree[d].path : "",
				                base_name(kids[idx]),
				                restarts ? " after restart" : "");
			return 0;
		}
		if (r < 0) {
			bad_status("list", r);
			return 1;
		}
		if (idx >= nk)
			return mismatch("extra entry \"%s\" in %s", name, tree[d].path);
		int i = kids[idx];
		if (strcmp(name, base_name(i)) != 0)
			return mismatch("list %s entry %d: \"%s\", expected \"%s\"", tree[d].path,
			                idx, name, base_name(i));
		if (r != tree[i].is_dir)
			return mismatch("list %s: %s is_dir %ld", tree[d].path, name, r);
		if (!r && size != model[i].size)
			return mismatch("list %s: %s size %lu, expected %lu", tree[d].path, name,
			                (unsigned long)size, (unsigned long)model[i].size);
	}
}

int op_list(int d)
{
	begin("list %s", tree[d].path);
	return check_list(d);
}

int op_unlink(int i)
{
	long r, want;
	int nonempty = 0;

	for (int c = 1; c < NNODES; c++)
		nonempty |= tree[c].parent == i && model[c].present;
	begin("unlink %s", tree[i].path);
	want = !model[i].present || !reachable(i) ? RW_ENOENT : nonempty ? FS_ENOTEMPTY : 0;
	SRV_CALL(r, fs_unlink(srv, tree[i].path));
	if (expect("unlink", r, want))
		return 1;
	if (want == 0) {
		model[i].present = 0;
		model[i].size = 0;
	}
	return 0;
}

/* Every directory listed, every node stat'ed, every file read back whole. */
int full_scan(void)
{
	for (int d = 0; d < FIRST_FILE; d++) {
		begin("scan list %s", tree[d].path);
		if (check_list(d))
			return 1;
	}
	for (int i = 0; i < NNODES; i++) {
		begin("scan stat %s", tree[i].path);
		if (check_stat(i))
			return 1;
	}
	for (int i = FIRST_FILE; i < NNODES; i++) {
		begin("scan read %s", tree[i].path);
		long h = open_file(i);
		if (h < 0)
			return 1;
		if (h > 0 && (read_check(i, h, 0, model[i].size + 1) || close_file(h)))
			return 1;
	}
	return 0;
}

/* A file for the next operation: mostly an existing one. */
static int pick_file(void)
{
	int present[NNODES], n = 0;
	uint64_t r = next_rand();

	for (int i = FIRST_FILE; i < NNODES; i++)
		if (model[i].present && reachable(i))
			present[n++] = i;
	if (n && r % 5 != 0)
		return present[(r / 5) % (uint64_t)n];
	return FIRST_FILE + (int)((r / 5) % (uint64_t)(NNODES - FIRST_FILE));
}

/* One random operation of the workload. */
int random_op(void)
{
	unsigned p = (unsigned)(next_rand() % 100);
	int f = pick_file();
	int any = FIRST_FILE + (int)(next_rand() % (NNODES - FIRST_FILE));
	int d = (int)(next_rand() % FIRST_FILE); /* includes "/" */

	if (p < 28)
		return op_write(f);
	if (p < 50)
		return op_read(f);
	if (p < 64)
		return op_make(any);
	if (p < 72)
		return op_stat(next_rand() % 2 ? f : d);
	if (p < 82)
		return op_list(d);
	if (p < 90)
		return op_unlink(next_rand() % 2 ? f : any);
	if (p < 96)
		return op_make(d ? d : 1);
	return op_unlink(d ? d : 2);
}

/* Lenient mode: deals with a pending restart (see oracle.h). */
void settle(void)
{
	if (need_resync)
		resync(full_scan, reset_model);
}
