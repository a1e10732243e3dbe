/*
 * fs_server - in-memory hierarchical file system serving endpoint "fs".
 *
 * Protocol: see <rewind/fs.h>.  Nodes (files and directories) live in a
 * static table; a directory keeps its children in a linked list in creation
 * order; file data is malloc'ed and grows with realloc.  Open handles are
 * kept in a global table and belong to the client badge that opened them.
 * Every request field is validated: garbage gets an error label, never a
 * crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/fs.h>
#include "debug_fault.h"

#define MAX_NODES	512
#define MAX_HANDLES	128
#define ROOT		0
#define DEBUG_MARKER_NAME "__debug_marker"	/* created in "/" by a dirty debug fault */

struct node {
	uint8_t used;
	uint8_t is_dir;
	uint8_t nlen;
	char name[FS_NAME_MAX + 1];
	int32_t parent;
	int32_t first_child, last_child;	/* directories */
	int32_t next_sibling;
	uint32_t nchildren;
	uint32_t open_count;			/* files: open handles */
	char *data;				/* files */
	uint64_t size, cap;
};

struct handle {
	uint8_t used;
	uint32_t gen;
	uint64_t badge;
	int32_t node;
};

static struct node nodes[MAX_NODES];
static struct handle handles[MAX_HANDLES];
static uint32_t handle_gen;

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
		return 1;			/* "/" */
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

static int32_t find_child(int32_t dir, const char *name, size_t n)
{
	for (int32_t c = nodes[dir].first_child; c >= 0; c = nodes[c].next_sibling)
		if (nodes[c].nlen == n && memcmp(nodes[c].name, name, n) == 0)
			return c;
	return -1;
}

struct lookup {
	int32_t parent;		/* directory holding the last component, -1 for "/" */
	int32_t node;		/* the node, -1 if the last component does not exist */
	const char *name;	/* last component */
	size_t nlen;
};

/* Resolves a syntactically valid path. Returns 0, RW_ENOENT or FS_ENOTDIR
 * (for a missing or non-directory intermediate component). */
static long walk(const char *p, size_t plen, struct lookup *lk)
{
	lk->parent = -1;
	lk->node = ROOT;
	lk->name = p + 1;
	lk->nlen = 0;
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

/*
 * Takes "path NUL" from the IPC buffer (w0 = plen, len = plen + 1), copies it
 * to path[] and resolves it.  Words w[first_unused..3] must be 0.
 */
static long parse_path(const rw_msg *m, int first_unused, char path[FS_PATH_MAX + 1],
		       struct lookup *lk)
{
	const char *buf = rw_ipc_buf();
	uint64_t plen = m->w[0];

	for (int i = first_unused; i < 4; i++)
		if (m->w[i])
			return RW_EINVAL;
	if (plen == 0 || plen > FS_PATH_MAX || m->len != plen + 1)
		return RW_EINVAL;
	if (buf[plen] != '\0' || memchr(buf, '\0', plen) != NULL)
		return RW_EINVAL;
	memcpy(path, buf, plen + 1);
	if (!path_ok(path, plen))
		return RW_EINVAL;
	return walk(path, plen, lk);
}

/* ---- nodes ---- */

static long new_node(const struct lookup *lk, int is_dir)
{
	if (lk->parent < 0 || lk->node >= 0)
		return FS_EEXIST;		/* "/" or an existing name */
	int32_t i;
	for (i = 1; i < MAX_NODES && nodes[i].used; i++)
		;
	if (i == MAX_NODES)
		return RW_ENOMEM;
	struct node *n = &nodes[i];
	struct node *d = &nodes[lk->parent];
	memset(n, 0, sizeof *n);
	n->used = 1;
	n->is_dir = (uint8_t)is_dir;
	n->nlen = (uint8_t)lk->nlen;
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
	return 0;
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
	free(nodes[i].data);
	memset(&nodes[i], 0, sizeof nodes[i]);
}

/* ---- handles ---- */

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
		return (long)(((uint64_t)h->gen << 8) | (uint64_t)(i + 1));
	}
	return RW_ENOMEM;
}

static struct handle *get_handle(uint64_t value, uint64_t badge)
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

/* ---- requests ---- */

static long do_create(const rw_msg *m, int is_dir)
{
	char path[FS_PATH_MAX + 1];
	struct lookup lk;
	long r = parse_path(m, 1, path, &lk);
	return r < 0 ? r : new_node(&lk, is_dir);
}

static long do_open(const rw_msg *m, rw_msg *out, uint64_t badge)
{
	char path[FS_PATH_MAX + 1];
	struct lookup lk;
	long r = parse_path(m, 1, path, &lk);

	if (r < 0)
		return r;
	if (lk.node < 0)
		return RW_ENOENT;
	if (nodes[lk.node].is_dir)
		return FS_EISDIR;
	r = new_handle(lk.node, badge);
	if (r < 0)
		return r;
	out->w[0] = (uint64_t)r;
	out->w[1] = nodes[lk.node].size;
	return 0;
}

static long do_read(const rw_msg *m, rw_msg *out, uint64_t badge)
{
	if (m->w[3] || m->len || m->w[2] > FS_CHUNK)
		return RW_EINVAL;
	struct handle *h = get_handle(m->w[0], badge);
	if (!h)
		return FS_EBADF;
	struct node *n = &nodes[h->node];
	uint64_t off = m->w[1], cnt = 0;
	if (off < n->size) {
		cnt = n->size - off;
		if (cnt > m->w[2])
			cnt = m->w[2];
		memcpy(rw_ipc_buf(), n->data + off, cnt);
	}
	out->w[0] = cnt;
	out->w[1] = n->size;
	out->len = cnt;
	return 0;
}

/* Writes cnt bytes from src at off of file node i (zero-filling a gap).
 * Returns 0 or RW_ENOMEM. */
static long node_write(int32_t i, uint64_t off, const void *src, uint64_t cnt)
{
	struct node *n = &nodes[i];
	if (off > FS_FILE_MAX || cnt > FS_FILE_MAX - off)
		return RW_ENOMEM;		/* file would be too large */
	uint64_t end = off + cnt;
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
		n->cap = cap;
	}
	if (off > n->size)
		memset(n->data + n->size, 0, off - n->size);	/* hole */
	if (cnt)
		memcpy(n->data + off, src, cnt);
	if (end > n->size)
		n->size = end;
	return 0;
}

static long do_write(const rw_msg *m, rw_msg *out, uint64_t badge)
{
	uint64_t off = m->w[1], cnt = m->w[2];

	if (m->w[3] || cnt > FS_CHUNK || m->len != cnt)
		return RW_EINVAL;
	struct handle *h = get_handle(m->w[0], badge);
	if (!h)
		return FS_EBADF;
	long r = node_write(h->node, off, rw_ipc_buf(), cnt);
	if (r < 0)
		return r;
	out->w[0] = cnt;
	out->w[1] = nodes[h->node].size;
	return 0;
}

static long do_close(const rw_msg *m, uint64_t badge)
{
	if (m->w[1] || m->w[2] || m->w[3] || m->len)
		return RW_EINVAL;
	struct handle *h = get_handle(m->w[0], badge);
	if (!h)
		return FS_EBADF;
	nodes[h->node].open_count--;
	memset(h, 0, sizeof *h);
	return 0;
}

static long do_unlink(const rw_msg *m)
{
	char path[FS_PATH_MAX + 1];
	struct lookup lk;
	long r = parse_path(m, 1, path, &lk);

	if (r < 0)
		return r;
	if (lk.node < 0)
		return RW_ENOENT;
	if (lk.node == ROOT)
		return FS_EBUSY;
	struct node *n = &nodes[lk.node];
	if (n->is_dir && n->nchildren)
		return FS_ENOTEMPTY;
	if (n->open_count)
		return FS_EBUSY;
	remove_node(lk.node);
	return 0;
}

static long do_list(const rw_msg *m, rw_msg *out)
{
	char path[FS_PATH_MAX + 1];
	struct lookup lk;
	long r = parse_path(m, 2, path, &lk);

	if (r < 0)
		return r;
	if (lk.node < 0)
		return RW_ENOENT;
	if (!nodes[lk.node].is_dir)
		return FS_ENOTDIR;
	uint64_t index = m->w[1];
	if (index >= nodes[lk.node].nchildren)
		return RW_ENOENT;
	int32_t c = nodes[lk.node].first_child;
	while (index-- > 0 && c >= 0)
		c = nodes[c].next_sibling;
	if (c < 0)
		return RW_ENOENT;
	memcpy(rw_ipc_buf(), nodes[c].name, (size_t)nodes[c].nlen + 1);
	out->w[0] = nodes[c].is_dir;
	out->w[1] = nodes[c].size;
	out->len = (uint64_t)nodes[c].nlen + 1;
	return 0;
}

static long do_stat(const rw_msg *m, rw_msg *out)
{
	char path[FS_PATH_MAX + 1];
	struct lookup lk;
	long r = parse_path(m, 1, path, &lk);

	if (r < 0)
		return r;
	if (lk.node < 0)
		return RW_ENOENT;
	out->w[0] = nodes[lk.node].size;
	out->w[1] = nodes[lk.node].is_dir;
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
	};
	lk.node = find_child(ROOT, lk.name, lk.nlen);
	if (lk.node < 0 && new_node(&lk, 0) == 0)
		lk.node = find_child(ROOT, lk.name, lk.nlen);
	if (lk.node >= 0 && !nodes[lk.node].is_dir)
		node_write(lk.node, 0, junk, sizeof junk - 1);
}

static long do_debug_fault(const rw_msg *m)
{
	if (m->w[1] != FS_FAULT_MAGIC || m->w[2] > 1 || m->w[3] || m->len)
		return RW_EINVAL;
	if (m->w[0] < DEBUG_FAULT_ILLEGAL || m->w[0] > DEBUG_FAULT_TEXT_WRITE)
		return RW_EINVAL;
	printf("fs: debug fault %lu%s\n", (unsigned long)m->w[0], m->w[2] ? " (dirty)" : "");
	if (m->w[2])
		make_dirty();
	debug_fault((long)m->w[0]);
	return RW_ESTATE;			/* the fault did not happen */
}

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	rw_msg req = *m;
	long st;

	(void)ctx;
	memset(m, 0, sizeof *m);
	if (req.len > RW_IPC_BUF_SIZE) {
		st = RW_EINVAL;
	} else {
		switch (req.label) {
		case FS_CREATE:		st = do_create(&req, 0); break;
		case FS_MKDIR:		st = do_create(&req, 1); break;
		case FS_OPEN:		st = do_open(&req, m, badge); break;
		case FS_READ:		st = do_read(&req, m, badge); break;
		case FS_WRITE:		st = do_write(&req, m, badge); break;
		case FS_CLOSE:		st = do_close(&req, badge); break;
		case FS_UNLINK:		st = do_unlink(&req); break;
		case FS_LIST:		st = do_list(&req, m); break;
		case FS_STAT:		st = do_stat(&req, m); break;
		case FS_DEBUG_FAULT:	st = do_debug_fault(&req); break;
		default:		st = RW_ENOSYS; break;
		}
	}
	if (st < 0)
		memset(m, 0, sizeof *m);	/* errors carry no data */
	m->label = (uint64_t)st;
}

int main(void)
{
	long ep = rw_cap_lookup_str("fs");

	if (ep < 0) {
		printf("fs: no endpoint \"fs\" (%s)\n", rw_strerror(ep));
		return 1;
	}
	fs_init();
	printf("fs: ready\n");
	rw_serve((int)ep, handle, NULL);
}
