/*
 * blk.h - client of a block driver (endpoint "blk" by convention).
 *
 * Protocol (one rw_call per request; see docs/DEVICES.md), defined in
 * guest/abi/blk.proto, from which <rewind/blk_proto.h> (labels, constants,
 * errors, request rules, client stubs) is generated:
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
#include <rewind/blk_proto.h> /* generated from guest/abi/blk.proto */

#ifdef __cplusplus
extern "C" {
#endif

/* From <rewind/blk_proto.h>: BLK_SECTOR (512), BLK_MAX_COUNT (8 sectors per
 * READ/WRITE, one IPC buffer), BLK_O_RDONLY, the labels BLK_INFO..., and the
 * errors BLK_ENOTOPEN (no open session for this client), BLK_EROFS (session
 * is read-only), BLK_ERANGE (sector range past the end of the disk) and
 * BLK_EIO (the device failed the command). */

long blk_info(rw_cap cap, uint64_t *sector_size, uint64_t *sectors);
long blk_open(rw_cap cap, uint64_t flags);
long blk_close(rw_cap cap);
/* buf holds count * BLK_SECTOR bytes; count is 1..BLK_MAX_COUNT. */
long blk_read(rw_cap cap, uint64_t sector, uint32_t count, void *buf);
long blk_write(rw_cap cap, uint64_t sector, uint32_t count, const void *buf);
long blk_flush(rw_cap cap);
/* Name of a BLK_E* code, else rw_strerror's. */
const char *blk_strerror(long err);

#ifdef __cplusplus
}
#endif

#endif
