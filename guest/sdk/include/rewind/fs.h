/*
 * fs.h - client of the file system server (endpoint "fs").
 *
 * The server keeps the tree in memory.  If it has a block driver (a "blk"
 * capability) it is also disk-backed: it mounts the disk's rwfs snapshot at
 * start (docs/DEVICES.md, "Disk format (rwfs)") and writes a new snapshot
 * before replying to every request that changed the tree: CREATE, MKDIR,
 * UNLINK, CLOSE of a handle that wrote, and SYNC.  A reply of 0 to those
 * means the change is on disk.  WRITE alone changes only memory until the
 * handle is closed (or SYNC).  Without a disk these requests behave the
 * same, minus the disk.
 *
 * Paths are absolute, '/'-separated, at most FS_PATH_MAX bytes; every
 * component is 1..FS_NAME_MAX bytes and neither "." nor "..".  "/" is the
 * root directory; a trailing '/' or an empty component ("//") is invalid.
 *
 * Every function returns >= 0 on success or a negative error: a kernel
 * status (RW_ECAP, RW_EDEAD, ...) from rw_call, or the server's status from
 * the reply label: RW_EINVAL (bad request or path), RW_ENOENT (no such file,
 * or list index past the end), RW_ENOMEM (out of nodes, handles or memory,
 * or file larger than FS_FILE_MAX), RW_ENOSYS (unknown request) or one of
 * the FS_E* codes below.  A disk-backed server also answers RW_ENOMEM to a
 * CREATE, MKDIR or WRITE whose result would not fit in a disk slot (the
 * request then has no effect), and FS_EIO when writing the snapshot failed.
 *
 * Protocol (one rw_call per request), defined in guest/abi/fs.proto, from
 * which <rewind/fs_proto.h> (labels, constants, errors, request rules,
 * client stubs) is generated:
 *
 *   Labels are FS_MAGIC << 16 | op.  Words a request does not use must be 0.
 *   "path" in the IPC buffer = the path bytes followed by one NUL, and the
 *   buffer length (a6) = plen + 1 exactly.
 *
 *   request     words                          buffer    reply (label 0)
 *   FS_CREATE   w0 = plen                      path      -   (new empty file)
 *   FS_MKDIR    w0 = plen                      path      -
 *   FS_OPEN     w0 = plen                      path      w0 = handle (> 0), w1 = size
 *   FS_READ     w0 = handle, w1 = offset,      -         w0 = bytes read, w1 = file size,
 *               w2 = count (<= 4096)                     buffer = data
 *   FS_WRITE    w0 = handle, w1 = offset,      data      w0 = bytes written, w1 = file size
 *               w2 = count (= buffer length, <= 4096)
 *   FS_CLOSE    w0 = handle                    -         -
 *   FS_UNLINK   w0 = plen                      path      -   (file, or empty directory)
 *   FS_LIST     w0 = plen, w1 = index          path      w0 = 1 if directory, w1 = size,
 *                                                        buffer = name NUL
 *   FS_STAT     w0 = plen                      path      w0 = size, w1 = 1 if directory
 *   FS_SYNC     -                              -         -   (writes the tree to disk if it
 *                                                        changed since the last snapshot;
 *                                                        no-op without a disk)
 *
 *   Handles belong to the client (badge) that opened them.  Writing past the
 *   end of a file zero-fills the gap.  Entries of a directory are listed in
 *   creation order; LIST returns RW_ENOENT when index >= number of entries.
 *   A file that is open cannot be unlinked (FS_EBUSY).
 */
#ifndef REWIND_FS_H
#define REWIND_FS_H

#include <stddef.h>
#include <stdint.h>
#include <rewind/rewind.h>
#include <rewind/fs_proto.h> /* generated from guest/abi/fs.proto */

#ifdef __cplusplus
extern "C" {
#endif

/* From <rewind/fs_proto.h>: FS_PATH_MAX (256), FS_NAME_MAX (32), FS_CHUNK
 * (4096 bytes moved per READ/WRITE), FS_FILE_MAX (1 MiB, the largest file),
 * the labels FS_CREATE..., and the server-specific errors (reply label),
 * below the kernel's RW_E* range: FS_EEXIST (name already exists),
 * FS_ENOTDIR (a path prefix, or the LIST target, is not a directory),
 * FS_EISDIR (open/read/write of a directory), FS_ENOTEMPTY (unlink of a
 * non-empty directory), FS_EBADF (unknown handle, or one of another
 * client), FS_EBUSY (unlink of an open file, or of "/") and FS_EIO (the disk
 * failed; the change may not be durable.  The change stays in memory
 * (CLOSE: the handle is closed anyway) and the next commit writes it
 * again). */

/* Name of an RW_E* or FS_E* code. */
const char *fs_strerror(long err);

/* Looks up the server's endpoint into *fs; returns 0 or an error. */
long fs_connect(const char *name, rw_cap *fs);

long fs_create(rw_cap fs, const char *path);
long fs_mkdir(rw_cap fs, const char *path);

/* Opens an existing file. Returns a handle (> 0). */
long fs_open(rw_cap fs, const char *path);

/* Reads up to n bytes at off (looping over FS_CHUNK pieces). Returns the
 * number of bytes read (short at end of file). */
long fs_read(rw_cap fs, long h, uint64_t off, void *buf, size_t n);

/* Writes n bytes at off (looping over FS_CHUNK pieces). Returns n. */
long fs_write(rw_cap fs, long h, uint64_t off, const void *buf, size_t n);

/* Closes a handle; if it wrote, the file's data is on disk on return 0
 * (disk-backed server). */
long fs_close(rw_cap fs, long h);
long fs_unlink(rw_cap fs, const char *path);

/* Copies the name of the index-th entry of directory dirpath into namebuf
 * (FS_NAME_MAX + 1 bytes). Returns 1 if that entry is a directory, 0 if it
 * is a file, RW_ENOENT past the last entry. *size (if not NULL) = file size. */
long fs_list(rw_cap fs, const char *dirpath, uint64_t index, char *namebuf, uint64_t *size);

/* Returns 0 and the size / kind of path. */
long fs_stat(rw_cap fs, const char *path, uint64_t *size, int *is_dir);

/* Writes any change not yet on disk (WRITEs through open handles).
 * Returns 0, FS_EIO or RW_ENOMEM. */
long fs_sync(rw_cap fs);

#ifdef __cplusplus
}
#endif

#endif /* REWIND_FS_H */
