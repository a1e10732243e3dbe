/*
 * fs_server - hierarchical file system serving endpoint "fs".
 *
 * Protocol: see <rewind/fs.h> and guest/abi/fs.proto (rw_dispatch checks
 * each request's words and buffer length against the rules generated from
 * it; the handlers check the rest).  Nodes (files and directories) live in a
 * static table; a directory keeps its children in a linked list in creation
 * order; file data is malloc'ed and grows with realloc, with a checksum per
 * SUM_BLOCK bytes beside it.  Open handles are kept in a global table and
 * belong to the client badge that opened them.  Every request field is
 * validated: garbage gets an error label, never a crash.  The server checks
 * its own answers (lookups, handles, replies, the file data's checksums): a
 * difference is a failed assertion, which txipc undoes (docs/RECOVERY.md,
 * "fs's own checks").
 *
 * Without a "blk" capability the tree lives in memory only.  With one, the
 * server is disk-backed (rwfs, docs/DEVICES.md): at start it mounts the
 * newest valid snapshot from the disk (or exits if the disk is not
 * formatted), and it commits the whole tree as a new snapshot (fs_disk.c)
 * before replying to every request that changed it: CREATE, MKDIR, UNLINK,
 * CLOSE of a handle that wrote, and SYNC.  WRITEs only change memory (and
 * mark the tree dirty) until then.  A failed commit gets FS_EIO and leaves
 * the memory state as it is: the next commit writes everything again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/blk.h>
#include <rewind/fs.h>
#include "debug_fault.h"
#include "fs_disk.h"

#define MAX_NODES         512
#define MAX_HANDLES       128
#define ROOT              0
#define DEBUG_MARKER_NAME "__debug_marker" /* created in "/" by a dirty debug fault */
#define SUM_BLOCK         256              /* bytes of file data under one checksum */

struct node {
	uint8_t used;
	uint8_t is_dir;
	uint8_t nlen;
	uint16_t plen; /* length of the full path */
	char name[FS_NAME_MAX + 1];
	int32_t parent;
	int32_t first_child, last_child; /* directories */
	int32_t next_sibling;
	uint32_t nchildren;
	uint32_t open_count; /* files: open handles */
	char *data;          /* files */
	uint64_t *sums;      /* files: checksum of each SUM_BLOCK bytes of data[0, cap) */
	uint64_t size, cap;
};

struct handle {
	uint8_t used;
	uint32_t gen;
	uint64_t badge;
	int32_t node;
	uint8_t wrote; /* a WRITE through it succeeded */
};

static struct node nodes[MAX_NODES];
static struct handle handles[MAX_HANDLES];
static uint32_t handle_gen;

/* ---- disk state ---- */
static rw_cap disk = RW_CAP(-1);         /* block driver capability, -1: in-memory */
static int dirty;                        /* the tree differs from the disk's snapshot */
static uint64_t snap_bytes = 1;          /* size of the tree's snapshot (the end byte) */
static uint64_t snap_limit = UINT64_MAX; /* bytes a slot holds (disk-backed) */

/* Bytes of a node's snapshot record. */
static uint64_t rec_bytes(int is_dir, uint64_t plen, uint64_t size)
{
	return 3 + plen + (is_dir ? 0 : 4 + size);
}

/* ---- file data checksums ---- */

/*
 * A file's data has a checksum per SUM_BLOCK bytes, kept beside it (node.sums): the sum (mod
 * 2^64) of the block's 64-bit words, over the whole capacity, whose bytes past the file's size
 * are kept zero. A flip in a file's bytes between the requests that wrote and read them was
 * answered to the client as the file's data, with no trap (seeds 1850145, 1850297, 1851089,
 * 1851305, 1851345 of `rewind inject builtin:t_fs_oracle.toml --server fs -n 400` with --seed
 * 1850001, 1851001, 1851401). So the blocks a READ answers (and a commit's whole tree) are
 * checked first: a difference is a failed assertion, and txipc's rollback puts the flipped page
 * back from its committed copy (docs/RECOVERY.md). A write changes each checksum by what it
 * changed (the words it covers, subtracted before and added after), so it reads no byte it
 * keeps, and a flip in those stays found.
 */
typedef uint64_t __attribute__((may_alias)) sum_word;

static uint64_t nblocks(uint64_t bytes)
{
	return (bytes + SUM_BLOCK - 1) / SUM_BLOCK;
}

/* The sum of the words of data [lo, hi) (8-aligned: malloc's blocks are 16-aligned). */
static uint64_t sum_words(const char *d, uint64_t lo, uint64_t hi)
{
	const sum_word *w = (const sum_word *)(d + lo), *e = (const sum_word *)(d + hi);
	uint64_t s0 = 0, s1 = 0;

	for (; e - w >= 4; w += 4) {
		s0 += w[0] + w[1];
		s1 += w[2] + w[3];
	}
	for (; w < e; w++)
		s0 += *w;
	return s0 + s1;
}

/* Adds (sign 1) or subtracts (sign -1) the words of bytes [lo, hi) of node n's data (rounded
 * out to words; hi <= cap) to or from their blocks' checksums. */
static void sums_adjust(struct node *n, uint64_t lo, uint64_t hi, uint64_t sign)
{
	lo &= ~(uint64_t)7;
	hi = (hi + 7) & ~(uint64_t)7;
	while (lo < hi) {
		uint64_t b = lo / SUM_BLOCK, top = (b + 1) * SUM_BLOCK;
		uint64_t to = hi < top ? hi : top;
		n->sums[b] += sign * sum_words(n->data, lo, to);
		lo = to;
	}
}

/* Checks the checksums of the blocks holding bytes [from, to) of node n (to <= n->size). Not
 * inlined: a test strikes it. */
__attribute__((noinline)) static void check_blocks(const struct node *n, uint64_t from, uint64_t to)
{
	if (n->size > n->cap || n->cap % SUM_BLOCK || (n->cap && (!n->data || !n->sums)))
		rw_panic("fs: a file's size or data pointer is off (a transient fault)");
	for (uint64_t b = from / SUM_BLOCK; b * SUM_BLOCK < to; b++)
		if (n->sums[b] != sum_words(n->data, b * SUM_BLOCK, (b + 1) * SUM_BLOCK))
			rw_panic("fs: a file's data differs from its checksum (a flip since it was "
			         "written)");
}

static void fs_init(void)
{
	struct node *r = &nodes[ROOT];

	r->used = 1;
	r->is_dir = 1;
	r->parent = -1;
	r->first_child = r->last_child = r->next_sibling = -1;
}

/* ---- paths ---- */

static int is_dot_name(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

/* Checks the syntax of an absolute path. */
static int path_ok(const char *p, size_t plen)
{
	if (plen == 0 || plen > FS_PATH_MAX || p[0] != '/')
		return 0;
	if (plen == 1)
		return 1; /* "/" */
	size_t i = 1;
	while (i <= plen) {
		size_t j = i;
		while (j < plen && p[j] != '/')
			j++;
		size_t n = j - i;
		if (n == 0 || n > FS_NAME_MAX || is_dot_name(p + i, n))
			return 0;
		i = j + 1;
	}
	return 1;
}

/* Not inlined: walk's check runs the lookup again. */
__attribute__((noinline)) static int32_t find_child(int32_t dir, const char *name, size_t n)
{
	for (int32_t c = nodes[dir].first_child; c >= 0; c = nodes[c].next_sibling)
		if (nodes[c].nlen == n && memcmp(nodes[c].name, name, n) == 0)
			return c;
	return -1;
}

struct lookup {
	int32_t parent;   /* directory holding the last component, -1 for "/" */
	int32_t node;     /* the node, -1 if the last component does not exist */
	const char *name; /* last component */
	size_t nlen;
	size_t plen; /* length of the whole path */
};

/* Resolves a syntactically valid path. Returns 0, RW_ENOENT or FS_ENOTDIR
 * (for a missing or non-directory intermediate component). Not inlined: walk
 * runs it twice for a miss. */
__attribute__((noinline)) static long walk_once(const char *p, size_t plen, struct lookup *lk)
{
	lk->parent = -1;
	lk->node = ROOT;
	lk->name = p + 1;
	lk->nlen = 0;
	lk->plen = plen;
	if (plen == 1)
		return 0;
	int32_t cur = ROOT;
	size_t i = 1;
	for (;;) {
		size_t j = i;
		while (j < plen && p[j] != '/')
			j++;
		int32_t child = find_child(cur, p + i, j - i);
		if (j == plen) {
			lk->parent = cur;
			lk->node = child;
			lk->name = p + i;
			lk->nlen = j - i;
			return 0;
		}
		if (child < 0)
			return RW_ENOENT;
		if (!nodes[child].is_dir)
			return FS_ENOTDIR;
		cur = child;
		i = j + 1;
	}
}

/* Whether node i's names, up to the root, spell the plen bytes at p ("" for the root). */
static int path_is(int32_t i, const char *p, size_t plen)
{
	size_t pos = plen;

	for (int32_t c = i; c != ROOT; c = nodes[c].parent) {
		if (c < 0 || c >= MAX_NODES || !nodes[c].used)
			return 0;
		size_t n = nodes[c].nlen;
		if (n + 1 > pos || p[pos - n - 1] != '/' ||
		    memcmp(p + pos - n, nodes[c].name, n) != 0)
			return 0;
		pos -= n + 1;
	}
	return pos == 0;
}

/*
 * walk_once, its answer checked: a transient fault in the lookup (a skipped compare or branch,
 * a flipped index or length register in walk or find_child) missed a file that is there
 * (OPEN or STAT answered ENOENT or ENOTDIR, CREATE answered ENOENT or made a second entry of
 * the same name) or found another, with no trap: 5 of the 12 silent runs of `rewind inject
 * builtin:t_fs_oracle.toml --server fs -n 400 --seed 1851001` and `... --seed 1851401` on
 * 0cf17f9 (seeds 1851059, 1851251, 1851320, 1851389, 1851723). So a miss (of the
 * last component or of a directory on the way) is looked up again, and what a lookup found is
 * checked against the tree: the node's names up to the root must spell the path, the
 * directory's the path up to the last '/'. A difference is a failed assertion, which txipc
 * undoes. Not inlined: a test strikes its entry.
 */
__attribute__((noinline)) static long walk(const char *p, size_t plen, struct lookup *lk)
{
	long st = walk_once(p, plen, lk);

	__asm__ volatile("" : "+r"(st) : : "memory");
	if (st < 0 || lk->node < 0) {
		struct lookup again;
		long st2 = walk_once(p, plen, &again);
		if (st2 != st ||
		    (st == 0 && (again.node != lk->node || again.parent != lk->parent ||
		                 again.name != lk->name || again.nlen != lk->nlen)))
			rw_panic("fs: a path's two lookups disagree (a transient fault)");
		if (st < 0)
			return st;
	}
	if (lk->plen != plen || lk->name < p + 1 || lk->name + lk->nlen != p + plen)
		rw_panic("fs: a lookup's last name is not the path's (a transient fault)");
	if (lk->node == ROOT ? plen != 1 || lk->parent != -1
	                     : lk->node >= MAX_NODES ||
	                               (lk->node >= 0 && (nodes[lk->node].plen != plen ||
	                                                  nodes[lk->node].parent != lk->parent ||
	                                                  !path_is(lk->node, p, plen))))
		rw_panic("fs: a lookup found another path's node (a transient fault)");
	if (lk->node != ROOT &&
	    (lk->parent < 0 || lk->parent >= MAX_NODES || !nodes[lk->parent].is_dir ||
	     !path_is(lk->parent, p, (size_t)(lk->name - p) - 1)))
		rw_panic("fs: a lookup found the wrong directory (a transient fault)");
	return 0;
}

/*
 * Takes "path NUL" from the IPC buffer (w0 = plen, len = plen + 1: checked
 * by the rule), copies it to path[] and resolves it.
 */
__attribute__((noinline)) static long parse_path_once(const rw_msg *m, char path[FS_PATH_MAX + 1],
                                                      struct lookup *lk)
{
	const char *buf = rw_ipc_buf();
	uint64_t plen = m->w[0];

	if (buf[plen] != '\0' || memchr(buf, '\0', plen) != NULL)
		return RW_EINVAL;
	/* Checked: a skipped store in the copy looked up another path (STAT answered ENOENT for
	 * a file that was there: seed 1851547 of `rewind inject builtin:t_fs_oracle.toml --server
	 * fs -n 400 --seed 1851001`), which walk's checks cannot see. */
	rw_copy_checked(path, buf, plen + 1);
	if (!path_ok(path, plen))
		return RW_EINVAL;
	long st = walk(path, plen, lk);
	/* The path walked must be the request's, its length read again: a null pointer into
	 * path_ok's caller's saved register (which held the length) walked a path of length 0,
	 * and LIST answered ENOENT for a directory that was there, with no trap (seed 1853940 of
	 * `rewind inject builtin:t_fs_oracle.toml --server fs -n 400 --seed 1853601`). */
	__asm__ volatile("" : "+r"(st) : : "memory");
	if (lk->plen != m->w[0])
		rw_panic("fs: a lookup walked another path than the request's (a transient fault)");
	return st;
}

/*
 * A path parse_path_once refused, parsed again: EINVAL is an answer, returned as a constant made
 * here. The handler's way out for it was the same `return st` as for its other errors, so a
 * skipped compare with EINVAL (AArch64 `cmn x19, #1`, the flags left from before) returned the
 * walk's 0 for UNLINK or CREATE at once: success, nothing done (FsUnlinkCheckTest; the AArch64
 * CREATE sweep of session 57). Not inlined, so that it is code of its own.
 */
__attribute__((noinline)) static long refused_path(const rw_msg *m)
{
	char again[FS_PATH_MAX + 1];
	struct lookup lk;

	if (parse_path_once(m, again, &lk) != RW_EINVAL)
		rw_panic("fs: a path refused is not refused again (a transient fault)");
	return RW_EINVAL;
}

/*
 * parse_path_once, its results checked in the handler through the handler's own addresses of its
 * path buffer and lookup: a skipped `mv s3,a2` in parse_path_once's prologue (the lookup's
 * address kept from a stale register) walked into another place, and every check there agreed,
 * while the handler's lookup still held an earlier request's: OPEN answered another file's size
 * or EISDIR (a skip sweep of fs, session 56). The lookup's length starts as no path's length, so
 * a walk that filled another lookup leaves it so; the path is compared with the request.
 */
static inline __attribute__((always_inline)) long
parse_path(const rw_msg *m, char path[FS_PATH_MAX + 1], struct lookup *lk)
{
	lk->plen = ~(size_t)0;
	long st = parse_path_once(m, path, lk);

	__asm__ volatile("" : "+r"(st) : : "memory");
	if (st == RW_EINVAL)
		return refused_path(m);
	if (((volatile struct lookup *)lk)->plen != ((const volatile rw_msg *)m)->w[0] ||
	    memcmp(path, rw_ipc_buf(), lk->plen + 1) != 0)
		rw_panic("fs: a path parsed is not in the handler's lookup (a transient fault)");
	return st;
}

/* ---- nodes ---- */

/* Creates the node lk names (empty).  Returns its index, FS_EEXIST or
 * RW_ENOMEM (no free node, or its record would not fit in a disk slot). */
static long new_node(const struct lookup *lk, int is_dir)
{
	if (lk->parent < 0 || lk->node >= 0)
		return FS_EEXIST; /* "/" or an existing name */
	int32_t i;
	for (i = 1; i < MAX_NODES && nodes[i].used; i++)
		;
	if (i == MAX_NODES)
		return RW_ENOMEM;
	uint64_t rec = rec_bytes(is_dir, lk->plen, 0);
	if (rec > snap_limit - snap_bytes)
		return RW_ENOMEM; /* the snapshot would not fit */
	struct node *n = &nodes[i];
	struct node *d = &nodes[lk->parent];
	/* The node taken is free, read again: a skipped load or branch in the search took a node in
	 * use, and the new name replaced a file that was there (a skip sweep of fs, session 56). */
	if (((volatile struct node *)n)->used)
		rw_panic("fs: a new node was taken from one in use (a transient fault)");
	uint64_t before = *(volatile uint64_t *)&snap_bytes;
	memset(n, 0, sizeof *n);
	n->used = 1;
	n->is_dir = (uint8_t)is_dir;
	n->nlen = (uint8_t)lk->nlen;
	n->plen = (uint16_t)lk->plen;
	memcpy(n->name, lk->name, lk->nlen);
	n->name[lk->nlen] = '\0';
	n->parent = lk->parent;
	n->first_child = n->last_child = n->next_sibling = -1;
	if (d->last_child >= 0)
		nodes[d->last_child].next_sibling = i;
	else
		d->first_child = i;
	d->last_child = i;
	d->nchildren++;
	snap_bytes += rec;
	dirty = 1;
	if (*(volatile uint64_t *)&snap_bytes != before + rec)
		rw_panic("fs: the snapshot's size is off after a new node (a transient fault)");
	return i;
}

/*
 * CREATE's or MKDIR's EEXIST, found again by a fresh walk: an error reply, which the kernel does
 * not run again by default, and a skipped load of the lookup's node in new_node answered EEXIST
 * for a name that was not there (a skip sweep of fs, session 56).
 */
static void exists_check(const rw_request *r, const char *path)
{
	struct lookup again;

	if (walk_once(path, ((const volatile rw_msg *)r->in)->w[0], &again) != 0 ||
	    (again.node < 0 && again.parent >= 0))
		rw_panic("fs: a name said to exist is not there (a transient fault)");
}

/*
 * A node CREATE or MKDIR made, read back against the request: a fresh walk of its path must
 * find it, of the kind the request's label asks for, empty, its directory's last child. Before,
 * nothing read it back, and a skipped instruction in new_node or in create's prologue (a field
 * not stored, a stale is_dir, a name copied wrong, a link to the directory missed) made a file
 * a directory, left its name empty or unlisted, with no trap (a skip sweep of fs, session 56:
 * ~30 silent skips in one CREATE).
 */
static void created_check(const rw_request *r, const char *path, int32_t i)
{
	const volatile rw_msg *m = r->in;
	struct lookup again;
	size_t plen = m->w[0];

	if (walk_once(path, plen, &again) != 0 || again.node != i || i <= ROOT || i >= MAX_NODES)
		rw_panic("fs: a new node is not where its path leads (a transient fault)");
	const volatile struct node *n = &nodes[i];
	int dir = m->label == FS_MKDIR;
	if (!n->used || n->is_dir != dir || n->nlen != again.nlen || n->plen != plen ||
	    n->parent != again.parent || n->size != 0 || n->data != NULL || n->open_count != 0 ||
	    n->first_child != -1 || n->last_child != -1 || n->next_sibling != -1 ||
	    n->name[n->nlen] != '\0' || nodes[again.parent].last_child != i)
		rw_panic(
		        "fs: a new node differs from the request that made it (a transient fault)");
	/* its directory's chain of children reaches it, last, in as many steps as it counts (a
	 * skipped link from the child before it left it unlisted) */
	const volatile struct node *d = &nodes[again.parent];
	uint32_t k = 1;
	int32_t c = d->first_child;
	while (c >= 0 && c < MAX_NODES && c != i && k <= MAX_NODES) {
		c = nodes[c].next_sibling;
		k++;
	}
	if (c != i || k != d->nchildren)
		rw_panic("fs: a new node is not last in its directory's list (a transient fault)");
}

static void remove_node(int32_t i)
{
	struct node *d = &nodes[nodes[i].parent];
	int32_t prev = -1;

	for (int32_t c = d->first_child; c >= 0 && c != i; c = nodes[c].next_sibling)
		prev = c;
	if (prev < 0)
		d->first_child = nodes[i].next_sibling;
	else
		nodes[prev].next_sibling = nodes[i].next_sibling;
	if (d->last_child == i)
		d->last_child = prev;
	d->nchildren--;
	snap_bytes -= rec_bytes(nodes[i].is_dir, nodes[i].plen, nodes[i].size);
	dirty = 1;
	free(nodes[i].data);
	free(nodes[i].sums);
	memset(&nodes[i], 0, sizeof nodes[i]);
}

/* Frees every node but the root (at mount, before loading a snapshot). */
static void fs_reset(void)
{
	for (int32_t i = 0; i < MAX_NODES; i++) {
		free(nodes[i].data);
		free(nodes[i].sums);
	}
	memset(nodes, 0, sizeof nodes);
	fs_init();
	snap_bytes = 1;
}

/* ---- disk ---- */

/* Writes the path of node i (nodes[i].plen bytes, no NUL) to p. */
static void node_path(int32_t i, char *p)
{
	size_t pos = nodes[i].plen;

	for (int32_t c = i; c != ROOT; c = nodes[c].parent) {
		pos -= nodes[c].nlen;
		memcpy(p + pos, nodes[c].name, nodes[c].nlen);
		p[--pos] = '/';
	}
}

/* fsd_commit callback: the tree as records, depth first in listing order
 * (so parents come before children, and reloading keeps the order). */
static void emit_tree(void *ctx)
{
	char path[FS_PATH_MAX];
	uint8_t hdr[7];
	int32_t i = nodes[ROOT].first_child;

	(void)ctx;
	while (i >= 0) {
		struct node *n = &nodes[i];
		hdr[0] = n->is_dir ? 1 : 2;
		hdr[1] = (uint8_t)n->plen;
		hdr[2] = (uint8_t)(n->plen >> 8);
		node_path(i, path);
		fsd_put(hdr, 3);
		fsd_put(path, n->plen);
		if (!n->is_dir) {
			for (int k = 0; k < 4; k++)
				hdr[3 + k] = (uint8_t)(n->size >> (8 * k));
			fsd_put(hdr + 3, 4);
			check_blocks(n, 0, n->size); /* no flipped byte goes to the disk */
			fsd_put(n->data, n->size);
		}
		if (n->is_dir && n->first_child >= 0) {
			i = n->first_child;
			continue;
		}
		while (i != ROOT && nodes[i].next_sibling < 0)
			i = nodes[i].parent;
		if (i == ROOT)
			break;
		i = nodes[i].next_sibling;
	}
	hdr[0] = 0;
	fsd_put(hdr, 1);
}

/* fsd_mount callback: rebuilds the tree from the snapshot's records.
 * Returns 0, FSD_ECORRUPT (a malformed record), RW_ENOMEM (out of memory)
 * or a block error. */
static long load_tree(void *ctx)
{
	char path[FS_PATH_MAX + 1];
	uint8_t b[4];
	long r;

	(void)ctx;
	fs_reset();
	for (;;) {
		if ((r = fsd_get(b, 1)) < 0)
			return r;
		if (b[0] == 0)
			return 0;
		if (b[0] != 1 && b[0] != 2)
			return FSD_ECORRUPT;
		int is_dir = b[0] == 1;
		if ((r = fsd_get(b, 2)) < 0)
			return r;
		size_t plen = (size_t)b[0] | (size_t)b[1] << 8;
		if (plen == 0 || plen > FS_PATH_MAX)
			return FSD_ECORRUPT;
		if ((r = fsd_get(path, plen)) < 0)
			return r;
		path[plen] = '\0';
		struct lookup lk;
		if (memchr(path, '\0', plen) || !path_ok(path, plen) || walk(path, plen, &lk) < 0)
			return FSD_ECORRUPT;
		r = new_node(&lk, is_dir);
		if (r < 0)
			return FSD_ECORRUPT; /* "/", a duplicate, or too many nodes */
		if (is_dir)
			continue;
		struct node *n = &nodes[r];
		if ((r = fsd_get(b, 4)) < 0)
			return r;
		uint64_t size = (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 |
		                (uint64_t)b[3] << 24;
		if (size > FS_FILE_MAX || size > fsd_remaining())
			return FSD_ECORRUPT;
		if (size) {
			uint64_t cap = nblocks(size) * SUM_BLOCK;
			n->data = calloc(1, cap); /* zero past the size: the checksums cover it */
			n->sums = calloc(nblocks(cap), sizeof *n->sums);
			if (!n->data || !n->sums)
				return RW_ENOMEM;
			n->cap = cap;
			n->size = size;
			snap_bytes += size;
			if ((r = fsd_get(n->data, size)) < 0)
				return r;
			sums_adjust(n, 0, size, 1);
		}
	}
}

/* Writes the tree to disk if it changed since the last commit.  Returns 0,
 * FS_EIO (a block call failed) or RW_ENOMEM (the snapshot does not fit). */
static long commit(void)
{
	if (disk.slot < 0 || !dirty)
		return 0;
	long r = fsd_commit(emit_tree, NULL);
	if (r == 0) {
		dirty = 0;
		return 0;
	}
	/* A failure where no disk is mounted or nothing is dirty, read again, is a commit that
	 * should not have run: a skipped load or branch above (CREATE answered EIO with no disk: a
	 * skip sweep of fs, session 56), or a skipped step of their addresses, which the re-read
	 * must not share (session 57). */
	if (RW_SYM_AGAIN(volatile rw_cap *, disk)->slot < 0 ||
	    !*RW_SYM_AGAIN(volatile int *, dirty))
		rw_panic("fs: a commit ran with no disk or nothing to write (a transient fault)");
	printf("fs: commit failed (%s)\n", blk_strerror(r));
	return r == RW_ENOMEM ? RW_ENOMEM : FS_EIO;
}

/* Mounts the disk behind block driver cap; returns 0 or -1 (reported). */
static int mount_disk(rw_cap cap)
{
	uint64_t seq = 0;
	long r = fsd_open(cap);

	if (r < 0) {
		printf("fs: cannot open disk (%s)\n", blk_strerror(r));
		return -1;
	}
	snap_limit = fsd_slot_bytes();
	r = fsd_mount(load_tree, NULL, &seq);
	if (r == FSD_EUNFORMATTED) {
		fs_reset();
		printf("fs: disk not formatted\n");
		return -1;
	}
	if (r < 0) {
		printf("fs: cannot mount disk (%s)\n", blk_strerror(r));
		return -1;
	}
	unsigned long files = 0, dirs = 0;
	for (int32_t i = 1; i < MAX_NODES; i++) {
		if (nodes[i].used) {
			if (nodes[i].is_dir)
				dirs++;
			else
				files++;
		}
	}
	disk = cap;
	dirty = 0;
	printf("fs: mounted disk (seq=%lu, %lu files, %lu dirs)\n", (unsigned long)seq, files,
	       dirs);
	return 0;
}

/* ---- handles ---- */

static struct handle *get_handle_once(uint64_t value, uint64_t badge);

/* Handle value: gen << 8 | (index + 1); never 0. */
static long new_handle(int32_t node, uint64_t badge)
{
	for (int i = 0; i < MAX_HANDLES; i++) {
		struct handle *h = &handles[i];
		if (h->used)
			continue;
		handle_gen = (handle_gen + 1) & 0xfffff;
		if (handle_gen == 0)
			handle_gen = 1;
		h->used = 1;
		h->gen = handle_gen;
		h->badge = badge;
		h->node = node;
		nodes[node].open_count++;
		long value = (long)(((uint64_t)h->gen << 8) | (uint64_t)(i + 1));
		/* The value the client gets must name this handle (a flipped register made OPEN
		 * answer a handle that every later request found EBADF: seed 1850224). */
		__asm__ volatile("" : "+r"(value) : : "memory");
		if (value <= 0 || get_handle_once((uint64_t)value, badge) != h || h->node != node)
			rw_panic("fs: OPEN's handle does not name its file (a transient fault)");
		return value;
	}
	return RW_ENOMEM;
}

/* Not inlined: get_handle runs it twice for a miss. */
__attribute__((noinline)) static struct handle *get_handle_once(uint64_t value, uint64_t badge)
{
	uint64_t idx = (value & 0xff) - 1;
	uint64_t gen = value >> 8;

	if ((value & 0xff) == 0 || idx >= MAX_HANDLES)
		return NULL;
	struct handle *h = &handles[idx];
	if (!h->used || h->gen != gen || h->badge != badge)
		return NULL;
	return h;
}

/*
 * A request's EBADF, once get_handle answered NULL: the handle is looked up again, after
 * get_handle returned, so that a return value zeroed after get_handle's own checks (a null
 * pointer into a0 at its return: seeds 1854108 and 1854500 of `rewind inject
 * builtin:t_fs_oracle.toml --server fs -n 400 --seed 1854001` and `--seed 1854401` on 7fbd3d6)
 * is found too. Not inlined, so that it is code of its own after the call.
 */
__attribute__((noinline)) static long no_handle(uint64_t value, uint64_t badge)
{
	if (get_handle_once(value, badge) != NULL)
		rw_panic("fs: a handle's two lookups disagree (a transient fault)");
	return FS_EBADF;
}

/*
 * get_handle_once, its answer checked: a transient fault in it (a wild or flipped register in
 * its compares) answered EBADF for a client's valid handle, with no trap (seeds 1850061 and
 * 1850149 of `rewind inject builtin:t_fs_oracle.toml --server fs -n 400 --seed 1850001`). So a
 * miss is looked up again (by no_handle, in the caller), and a hit is checked against the value and the table: its slot,
 * generation and owner, and the file it names (a used file with a handle open on it). A
 * difference is a failed assertion, which txipc undoes.
 */
__attribute__((noinline)) static struct handle *get_handle(uint64_t value, uint64_t badge)
{
	struct handle *h = get_handle_once(value, badge);

	__asm__ volatile("" : "+r"(h) : : "memory");
	if (!h)
		return NULL; /* looked up again by no_handle, in the caller */
	uint64_t idx = (value & 0xff) - 1;
	if (idx >= MAX_HANDLES || h != &handles[idx] || !h->used || h->gen != value >> 8 ||
	    h->badge != badge)
		rw_panic("fs: a handle lookup found another handle (a transient fault)");
	int32_t i = h->node;
	if (i <= ROOT || i >= MAX_NODES || !nodes[i].used || nodes[i].is_dir ||
	    nodes[i].open_count == 0)
		rw_panic("fs: a handle names no open file (a transient fault)");
	return h;
}

/* ---- requests ---- */

/* Requests that change the tree (CREATE, MKDIR, UNLINK) are on disk
 * before the reply: they end with commit(). */
static long create(const rw_request *r, int is_dir)
{
	char path[FS_PATH_MAX + 1];
	struct lookup lk;
	long st = parse_path(r->in, path, &lk);
	int32_t made = -1;
	if (st >= 0) {
		st = new_node(&lk, is_dir);
		if (st >= 0)
			made = (int32_t)st;
		else if (st == FS_EEXIST)
			exists_check(r, path);
	}
	if (st < 0)
		return st;
	st = commit();
	/* A success made a node: checked on the way out, past the branches above (a skipped one
	 * went from an EEXIST to the commit, and MKDIR of a directory that was there answered
	 * success: a skip sweep of fs, session 56). */
	if (st == 0)
		created_check(r, path, made);
	return st;
}

static long do_create(const rw_request *r)
{
	return create(r, 0);
}

static long do_mkdir(const rw_request *r)
{
	return create(r, 1);
}

/*
 * OPEN's answer, found again from a fresh walk of its path and the node table's address made
 * anew: a skipped step of the table's address or of the node's index read is_dir and size from
 * another place, and OPEN answered EISDIR for a file, or a size of 0 or another file's (a skip
 * sweep of fs, session 56: 10 silent skips in one OPEN). Returns st.
 */
__attribute__((noinline)) static long open_check(const rw_request *r, const char *path, long st)
{
	struct lookup again;
	const struct node *table = nodes;

	__asm__ volatile("" : "+r"(table) : : "memory");
	const volatile rw_msg *out = r->out;
	long walked = walk_once(path, ((const volatile rw_msg *)r->in)->w[0], &again);
	int32_t i = again.node;
	int ok = walked == 0 && i < MAX_NODES;
	if (ok && st == RW_ENOENT)
		ok = i < 0;
	else if (ok && st == FS_EISDIR)
		ok = i >= 0 && table[i].is_dir;
	else if (ok) {
		const struct handle *h = get_handle_once(out->w[0], r->badge);
		ok = st == 0 && i >= 0 && !table[i].is_dir && out->w[1] == table[i].size && h &&
		     h->node == i;
	}
	if (!ok)
		rw_panic(
		        "fs: OPEN's answer differs from its path walked again (a transient fault)");
	return st;
}

static long do_open(const rw_request *r)
{
	char path[FS_PATH_MAX + 1];
	struct lookup lk;
	long st = parse_path(r->in, path, &lk);

	if (st < 0)
		return st;
	if (lk.node < 0)
		return open_check(r, path, RW_ENOENT);
	if (nodes[lk.node].is_dir)
		return open_check(r, path, FS_EISDIR);
	st = new_handle(lk.node, r->badge);
	if (st < 0)
		return st;
	r->out->w[0] = (uint64_t)st;
	r->out->w[1] = nodes[lk.node].size;
	return open_check(r, path, 0);
}

/* Fills READ's reply. Not inlined: a test strikes its return. */
__attribute__((noinline)) static void read_reply(rw_msg *out, uint64_t cnt, uint64_t size)
{
	out->w[0] = cnt;
	out->w[1] = size;
	out->len = cnt;
}

static long do_read(const rw_request *r)
{
	const rw_msg *m = r->in;
	struct handle *h = get_handle(m->w[0], r->badge);
	if (!h)
		return no_handle(m->w[0], r->badge);
	struct node *n = &nodes[h->node];
	uint64_t off = m->w[1], cnt = 0;
	if (off < n->size) {
		cnt = n->size - off;
		if (cnt > m->w[2])
			cnt = m->w[2];
		check_blocks(n, off, off + cnt);
		rw_copy_checked(rw_ipc_buf(), n->data + off,
		                cnt); /* (a fault in the copy: the request's) */
	}
	read_reply(r->out, cnt, n->size);
	/*
	 * The reply, read back, against the request read again and the file: a skipped
	 * instruction or a spoiled register answered "size 0" for a file of 500 bytes, or 0
	 * bytes where 720 were asked (seeds 1852571 and 1852708 of `rewind inject
	 * builtin:t_fs_oracle.toml --server fs -n 400 --seed 1852401`).
	 */
	uint64_t at = r->in->w[1], want = 0;
	__asm__ volatile("" : "+r"(at) : : "memory");
	if (at < n->size)
		want = n->size - at < r->in->w[2] ? n->size - at : r->in->w[2];
	if (r->out->w[0] != want || r->out->w[1] != n->size || r->out->len != want)
		rw_panic("fs: READ's reply differs from the file (a transient fault)");
	return 0;
}

/* Writes cnt bytes from src at off of file node i (zero-filling a gap).
 * Returns 0 or RW_ENOMEM. Not inlined: a test strikes its return. */
__attribute__((noinline)) static long node_write(int32_t i, uint64_t off, const void *src,
                                                 uint64_t cnt)
{
	struct node *n = &nodes[i];
	if (off > FS_FILE_MAX || cnt > FS_FILE_MAX - off)
		return RW_ENOMEM; /* file would be too large */
	uint64_t end = off + cnt;
	uint64_t grow = end > n->size ? end - n->size : 0;
	if (grow > snap_limit - snap_bytes)
		return RW_ENOMEM; /* the snapshot would not fit */
	if (end > n->cap) {
		uint64_t cap = n->cap ? n->cap * 2 : 256;
		while (cap < end)
			cap *= 2;
		if (cap > FS_FILE_MAX)
			cap = FS_FILE_MAX;
		char *d = realloc(n->data, cap);
		if (!d)
			return RW_ENOMEM;
		n->data = d;
		uint64_t *sums = realloc(n->sums, nblocks(cap) * sizeof *sums);
		if (!sums)
			return RW_ENOMEM;
		n->sums = sums;
		/* Zero past the old capacity, and so are the new blocks' checksums. */
		memset(d + n->cap, 0, cap - n->cap);
		memset(sums + nblocks(n->cap), 0, (nblocks(cap) - nblocks(n->cap)) * sizeof *sums);
		n->cap = cap;
	}
	/* The checksums change by what the write changes: bytes [from, end), the hole too. */
	uint64_t from = off < n->size ? off : n->size;
	if (end > from)
		sums_adjust(n, from, end, (uint64_t)-1);
	if (off > n->size)
		memset(n->data + n->size, 0, off - n->size); /* hole */
	if (cnt)
		rw_copy_checked(n->data + off, src, cnt);
	if (end > from)
		sums_adjust(n, from, end, 1);
	if (end > n->size)
		n->size = end;
	snap_bytes += grow;
	if (cnt || grow)
		dirty = 1;
	return 0;
}

/* Fills WRITE's reply. Not inlined: a test strikes its return. */
__attribute__((noinline)) static void write_reply(rw_msg *out, uint64_t cnt, uint64_t size)
{
	out->w[0] = cnt;
	out->w[1] = size;
}

static long do_write(const rw_request *r)
{
	const rw_msg *m = r->in;
	uint64_t off = m->w[1], cnt = m->w[2];
	struct handle *h = get_handle(m->w[0], r->badge);
	if (!h)
		return no_handle(m->w[0], r->badge);
	uint64_t old = nodes[h->node].size;
	long st = node_write(h->node, off, rw_ipc_buf(), cnt);
	if (st < 0)
		return st;
	/* The size the reply names, against the request read again (a register of the caller's
	 * that malloc spoiled answered a size of 2^46: seed 1850069). */
	uint64_t end = r->in->w[1] + r->in->w[2];
	__asm__ volatile("" : "+r"(end) : : "memory");
	if (nodes[h->node].size != (end > old ? end : old) ||
	    nodes[h->node].size > nodes[h->node].cap)
		rw_panic("fs: a WRITE left its file's size off (a transient fault)");
	h->wrote = 1;
	write_reply(r->out, cnt, nodes[h->node].size);
	/* The reply, read back (a skipped instruction answered "size 0" for a file of 524 bytes:
	 * seed 1855443 of `rewind inject builtin:t_fs_oracle.toml --server fs -n 400 --seed
	 * 1855401` on b2a1b0c). */
	__asm__ volatile("" : : : "memory");
	if (r->out->w[0] != r->in->w[2] || r->out->w[1] != nodes[h->node].size)
		rw_panic("fs: WRITE's reply differs from the file (a transient fault)");
	return 0;
}

/* Closes the handle even if the commit then fails (FS_EIO). */
static long do_close(const rw_request *r)
{
	struct handle *h = get_handle(r->in->w[0], r->badge);
	if (!h)
		return no_handle(r->in->w[0], r->badge);
	int wrote = h->wrote;
	nodes[h->node].open_count--;
	memset(h, 0, sizeof *h);
	/* The handle, read back, must be free: memset checks what it was told to clear, not how
	 * much, and its length register set to 0 (seed 2232476 of session 55's final campaign) left
	 * the handle open with its file's count one less, and a later UNLINK answered EBUSY with no
	 * trap. A handle still in use is a failed assertion, which txipc undoes. */
	if (((const volatile struct handle *)h)->used)
		rw_panic("fs: CLOSE left its handle in use (a transient fault)");
	return wrote ? commit() : 0;
}

static long do_sync(const rw_request *r)
{
	(void)r;
	return commit();
}

/*
 * The handles open on node i, counted. UNLINK compares it with the node's open count: a
 * null pointer in do_close (seed 1853812 of `rewind inject builtin:t_fs_oracle.toml --server
 * fs -n 400 --seed 1853601`: the count of node 0 decremented, not the file's) left a file
 * counted open with no handle, and its UNLINK answered EBUSY, with no trap. A difference is a
 * failed assertion: txipc undoes the UNLINK, and a history replay the request that left it.
 */
static uint32_t open_handles(int32_t i)
{
	uint32_t k = 0;

	for (int h = 0; h < MAX_HANDLES; h++)
		k += handles[h].used && handles[h].node == i;
	return k;
}

/*
 * What UNLINK must answer for the node a walk found (-1: none), from its fields read through a
 * volatile pointer made here. Not inlined, so that it makes its own addresses.
 */
__attribute__((noinline)) static long unlink_answer(int32_t i)
{
	if (i < 0)
		return RW_ENOENT;
	if (i == ROOT)
		return FS_EBUSY;
	if (i >= MAX_NODES)
		rw_panic("fs: UNLINK's node is out of range (a transient fault)");
	const volatile struct node *n = &nodes[i];
	if (!n->used)
		rw_panic("fs: UNLINK's node is not in use (a transient fault)");
	if (n->is_dir && (n->nchildren != 0 || n->first_child != -1 || n->last_child != -1))
		return FS_ENOTEMPTY;
	return n->open_count != 0 ? FS_EBUSY : 0;
}

/*
 * UNLINK's answer, found again: the tests in do_unlink run on registers that a transient fault
 * can leave stale or point at another node (bit 5 of the one that held `nodes + 96 * i` flipped:
 * do_unlink tested another node's is_dir and nchildren and removed a directory that held
 * entries, success where ENOTEMPTY was due, seed 2402200 of session 58's final fs campaign; a
 * skipped load of the lookup's node answered EBUSY, the root's answer, for the same directory).
 * Before a node is removed, the lookup's node read again from memory must be removable; an
 * error is found again by a fresh walk of the path; after a removal, that walk must find no
 * node of the name in its directory. Not inlined: inlined, gcc returned the answer found again
 * (equal, once compared) in place of do_unlink's own, and a skipped move of it returned the
 * parse's 0, success.
 */
__attribute__((noipa)) static void unlink_check(const rw_request *r, const char *path,
                                                const struct lookup *lk, long st)
{
	const volatile struct lookup *l = lk;
	struct lookup again;

	if (st == 1) { /* (about to remove) */
		if (unlink_answer(l->node) != 0 || l->node == ROOT || l->node < 0)
			rw_panic("fs: UNLINK would remove a node it must not (a transient fault)");
		return;
	}
	if (walk_once(path, ((const volatile rw_msg *)r->in)->w[0], &again) != 0)
		rw_panic("fs: UNLINK's path does not walk again (a transient fault)");
	if (st == 0 ? again.node >= 0 || again.parent != l->parent
	            : unlink_answer(again.node) != st)
		rw_panic("fs: UNLINK's answer differs from the tree's (a transient fault)");
}

static long do_unlink(const rw_request *r)
{
	char path[FS_PATH_MAX + 1];
	struct lookup lk;
	long st = parse_path(r->in, path, &lk);

	if (st < 0)
		return st;
	if (lk.node < 0)
		st = RW_ENOENT;
	else if (lk.node == ROOT)
		st = FS_EBUSY;
	else if (nodes[lk.node].is_dir && nodes[lk.node].nchildren)
		st = FS_ENOTEMPTY;
	else if (open_handles(lk.node) != nodes[lk.node].open_count)
		rw_panic("fs: a file's open count differs from its handles (a transient fault)");
	else if (nodes[lk.node].open_count)
		st = FS_EBUSY;
	else
		st = 1;
	if (st == 1) {
		unlink_check(r, path, &lk, st);
		remove_node(lk.node);
		st = commit();
		if (st != 0)
			return st; /* (the disk failed: no walk to compare with) */
	}
	unlink_check(r, path, &lk, st);
	return st;
}

/* The index-th child of directory dir, or -1. Not inlined: do_list runs it twice. */
__attribute__((noinline)) static int32_t list_child(int32_t dir, uint64_t index)
{
	if (index >= nodes[dir].nchildren)
		return -1;
	int32_t c = nodes[dir].first_child;
	while (index-- > 0 && c >= 0)
		c = nodes[c].next_sibling;
	return c;
}

/*
 * A reply about a node, read back against the node a fresh walk of the request's path finds
 * (LIST: the child at the request's index, found again): the handlers read the node through
 * registers that a transient fault could leave stale or point elsewhere (a skipped add in the
 * node's address, `nodes + 96 * i`: STAT and LIST answered from another node, no trap; a sweep of
 * fs's handlers, session 58). noipa, not only noinline: gcc's IPA-SRA passed it `r->out` loaded by
 * the caller, so a skipped load of it sent the reply and the check to the same stale place.
 */
__attribute__((noipa)) static void node_reply_check(const rw_request *r, const char *path, int list)
{
	const volatile rw_msg *in = r->in;
	const volatile rw_msg *m = r->out;
	struct lookup again;

	if (walk_once(path, in->w[0], &again) != 0 || again.node < 0 || again.node >= MAX_NODES)
		rw_panic("fs: a reply's path does not lead to a node again (a transient fault)");
	int32_t i = list ? list_child(again.node, in->w[1]) : again.node;
	if (i < 0 || i >= MAX_NODES)
		rw_panic("fs: a reply's node is not there again (a transient fault)");
	const volatile struct node *n = &nodes[i];
	int same = n->used && (list ? m->w[0] == n->is_dir && m->w[1] == n->size &&
	                                       m->len == (uint64_t)n->nlen + 1 &&
	                                       memcmp(rw_ipc_buf(), (const char *)n->name,
	                                              (size_t)n->nlen + 1) == 0
	                            : m->w[0] == n->size && m->w[1] == n->is_dir);
	if (!same)
		rw_panic("fs: a reply differs from the node it answers about (a transient fault)");
}

/*
 * LIST's ENOTDIR, found again by a fresh walk and returned as a constant made here: a skipped add
 * in the node's address tested another node's is_dir (ReplyReadBackTest). noipa: see
 * node_reply_check.
 */
__attribute__((noipa)) static long not_a_directory(const rw_request *r, const char *path)
{
	struct lookup again;

	if (walk_once(path, ((const volatile rw_msg *)r->in)->w[0], &again) != 0 ||
	    again.node < 0 || again.node >= MAX_NODES ||
	    ((const volatile struct node *)&nodes[again.node])->is_dir)
		rw_panic("fs: LIST's ENOTDIR names a directory (a transient fault)");
	return FS_ENOTDIR;
}

static long do_list(const rw_request *r)
{
	char path[FS_PATH_MAX + 1];
	struct lookup lk;
	long st = parse_path(r->in, path, &lk);

	if (st < 0)
		return st;
	if (lk.node < 0)
		return RW_ENOENT;
	if (!nodes[lk.node].is_dir)
		return not_a_directory(r, path);
	int32_t c = list_child(lk.node, r->in->w[1]);
	__asm__ volatile("" : "+r"(c) : : "memory");
	/* Checked: a register spoiled in LIST's scan (a wild pointer in path_ok's callee-saved
	 * registers: seed 1851229) answered ENOENT before the directory's end or listed another
	 * child, with no trap. The scan runs again from the index read again from the request; a
	 * child must be one of the directory's. */
	if (c != list_child(lk.node, r->in->w[1]) ||
	    (c >= 0 && (c >= MAX_NODES || !nodes[c].used || nodes[c].parent != lk.node)))
		rw_panic("fs: LIST's two scans disagree (a transient fault)");
	if (c < 0)
		return RW_ENOENT;
	rw_copy_checked(rw_ipc_buf(), nodes[c].name, (size_t)nodes[c].nlen + 1);
	r->out->w[0] = nodes[c].is_dir;
	r->out->w[1] = nodes[c].size;
	r->out->len = (uint64_t)nodes[c].nlen + 1;
	node_reply_check(r, path, 1);
	return 0;
}

static long do_stat(const rw_request *r)
{
	char path[FS_PATH_MAX + 1];
	struct lookup lk;
	long st = parse_path(r->in, path, &lk);

	if (st < 0)
		return st;
	if (lk.node < 0)
		return RW_ENOENT;
	r->out->w[0] = nodes[lk.node].size;
	r->out->w[1] = nodes[lk.node].is_dir;
	node_reply_check(r, path, 0);
	return 0;
}

/*
 * Leaves partial changes behind before a dirty debug fault, so that a test
 * can tell whether the fault was rolled back: writes into the first existing
 * file (if any) and creates DEBUG_MARKER_NAME in "/" with some data.
 */
static void make_dirty(void)
{
	static const char junk[] = "debug fault: dirty data";

	for (int32_t i = 1; i < MAX_NODES; i++) {
		if (nodes[i].used && !nodes[i].is_dir) {
			node_write(i, 0, junk, sizeof junk - 1);
			break;
		}
	}
	struct lookup lk = {
		.parent = ROOT,
		.name = DEBUG_MARKER_NAME,
		.nlen = sizeof DEBUG_MARKER_NAME - 1,
		.plen = sizeof DEBUG_MARKER_NAME, /* with the leading '/' */
	};
	lk.node = find_child(ROOT, lk.name, lk.nlen);
	if (lk.node < 0) {
		long r = new_node(&lk, 0);
		lk.node = r < 0 ? -1 : (int32_t)r;
	}
	if (lk.node >= 0 && !nodes[lk.node].is_dir)
		node_write(lk.node, 0, junk, sizeof junk - 1);
}

/* FS_DEBUG_FAULT (test-only, debug_fault.h): the rule checked the kind. */
static long do_debug_fault(const rw_request *r)
{
	rw_msg m = *r->in; /* on the stack: a debugger finds debug_fault's kind there */

	printf("fs: debug fault %lu%s\n", (unsigned long)m.w[0], m.w[2] ? " (dirty)" : "");
	if (m.w[2])
		make_dirty();
	debug_fault((long)m.w[0]);
	return RW_ESTATE; /* the fault did not happen */
}

static const rw_op ops[] = {
	FS_OPS(do_),
	RW_OP(FS_DEBUG_FAULT, do_debug_fault),
};

int main(void)
{
	rw_cap ep, blk;
	long r = rw_cap_get("fs", &ep);

	if (r < 0) {
		printf("fs: no endpoint \"fs\" (%s)\n", rw_strerror(r));
		return 1;
	}
	fs_init();
	if (rw_cap_get("blk", &blk) >= 0 && mount_disk(blk) < 0)
		return 1;
	printf("fs: ready\n");
	rw_serve_ops(ep, ops, RW_NOPS(ops), NULL);
}
