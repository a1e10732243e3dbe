/*
 * blk.h - client of a block driver (endpoint "blk" by convention).
 *
 * Protocol (one rw_call per request; see docs/DEVICES.md):
 *
 *   Labels are BLK_MAGIC << 16 | op.  Words a request does not use must be 0.
 *
 *   request     words                           buffer            reply (label 0)
 *   BLK_INFO    -                               -                 w0 = sector size, w1 = capacity (sectors)
 *   BLK_OPEN    w0 = flags (BLK_O_RDONLY)       -                 -  (session for the caller's badge)
 *   BLK_CLOSE   -                               -                 -
 *   BLK_READ    w0 = sector, w1 = count (1..8)  -                 w0 = count, buffer = count * 512 bytes
 *   BLK_WRITE   w0 = sector, w1 = count (1..8)  count * 512 bytes w0 = count
 *   BLK_FLUSH   -                               -                 -  (everything written is on stable storage)
 *
 * READ/WRITE/FLUSH need an open session (BLK_ENOTOPEN); WRITE/FLUSH a
 * writable one (BLK_EROFS).  Every function returns >= 0 on success or a
 * negative error: a kernel status from rw_call (RW_EDEAD, ...) or one of the
 * BLK_E* / RW_EINVAL codes from the driver.
 */
#ifndef REWIND_BLK_H
#define REWIND_BLK_H

#include <stdint.h>
#include <rewind/rewind.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BLK_SECTOR	512
#define BLK_MAX_COUNT	8			/* sectors per READ/WRITE (one IPC buffer) */

#define BLK_MAGIC	0x424bULL		/* "BK" */
#define BLK_LABEL(op)	((BLK_MAGIC << 16) | (op))
#define BLK_INFO	BLK_LABEL(1)
#define BLK_OPEN	BLK_LABEL(2)
#define BLK_CLOSE	BLK_LABEL(3)
#define BLK_READ	BLK_LABEL(4)
#define BLK_WRITE	BLK_LABEL(5)
#define BLK_FLUSH	BLK_LABEL(6)

#define BLK_O_RDONLY	1ULL

#define BLK_ENOTOPEN	(-20)	/* no open session for this client */
#define BLK_EROFS	(-21)	/* session is read-only */
#define BLK_ERANGE	(-22)	/* sector range past the end of the disk */
#define BLK_EIO		(-23)	/* the device failed the command */

long blk_info(int cap, uint64_t *sector_size, uint64_t *sectors);
long blk_open(int cap, uint64_t flags);
long blk_close(int cap);
/* buf holds count * BLK_SECTOR bytes; count is 1..BLK_MAX_COUNT. */
long blk_read(int cap, uint64_t sector, uint32_t count, void *buf);
long blk_write(int cap, uint64_t sector, uint32_t count, const void *buf);
long blk_flush(int cap);
/* Name of a BLK_E* code, else rw_strerror's. */
const char *blk_strerror(long err);

#ifdef __cplusplus
}
#endif

#endif
