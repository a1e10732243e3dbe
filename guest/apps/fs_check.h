/*
 * fs_check.h - model-checked file system workload shared by fs_oracle.c and
 * fs_faults.c (the code is in fs_check.c).  The handling of RW_ERECOVERED /
 * RW_EDEAD and of failures is in oracle.h.
 *
 * The model: a fixed tree of NNODES paths (the root, 4 directories, 16
 * files), each present or not; files hold up to FMAX bytes.  Operations:
 * mkdir, create, open + write at an offset (sometimes several chunks) +
 * close, open + read + compare + close, stat, list (names, kinds, sizes and
 * creation order), unlink of files and directories.  Every reply is checked
 * against the model.  A handle is opened and closed within one operation;
 * each request (including close) is retried after RW_ERECOVERED, which
 * means it had no effect.
 */
#ifndef APPS_FS_CHECK_H
#define APPS_FS_CHECK_H

#include <stddef.h>
#include <rewind/fs.h>
#include "oracle.h"

#define FMAX       12288 /* largest file: three chunks */
#define NNODES     21    /* the root, 4 directories, 16 files */
#define FIRST_FILE 5     /* tree[1..4] are directories, the rest files */

struct fs_node {
	const char *path;
	int parent; /* index of the parent directory */
	int is_dir;
};
extern const struct fs_node tree[NNODES];

struct fs_model {
	int present;
	unsigned long seq; /* creation order */
	size_t size;
	unsigned char data[FMAX];
};
extern struct fs_model model[NNODES];

/* Operations; each returns 0, or 1 if it stopped early (lenient). */
int op_make(int i); /* mkdir or create tree[i] */
int op_write(int i);
int op_read(int i);
int op_stat(int i);
int op_list(int d);
int op_unlink(int i);
/* Every directory listed, every node stat'ed, every file read back whole. */
int full_scan(void);
/* One random operation of the workload. */
int random_op(void);
void reset_model(void);
/* Lenient mode: deals with a pending restart (see oracle.h). */
void settle(void);

#endif /* APPS_FS_CHECK_H */
