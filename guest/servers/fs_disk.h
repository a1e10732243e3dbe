/*
 * fs_disk - the block layer of the rwfs disk format (docs/DEVICES.md,
 * "Disk format (rwfs)"): the two slot headers, CRC-32, choosing the snapshot
 * to mount, and the shadow-paging commit.  The snapshot's records are the
 * caller's business (fs_server.c): it reads them with fsd_get while
 * mounting and writes them with fsd_put while committing.  Data moves
 * through one buffer of BLK_MAX_COUNT sectors, so memory use does not grow
 * with the size of the snapshot.
 *
 * Every function returns 0 (or a count) on success or a negative error: a
 * block client error (BLK_E*, RW_E* from the driver or the kernel),
 * RW_ENOMEM (the snapshot does not fit in a slot) or FSD_ECORRUPT.
 */
#ifndef SERVERS_FS_DISK_H
#define SERVERS_FS_DISK_H

#include <stddef.h>
#include <stdint.h>

#define FSD_ECORRUPT     (-1000) /* fsd_get past the end of the data, or a bad record */
#define FSD_EUNFORMATTED (-1001) /* fsd_mount: no slot holds a valid snapshot */

/* CRC-32 as zlib's crc32(): reflected polynomial 0xEDB88320, initial value
 * and final xor 0xffffffff.  Chain calls with crc = the previous result
 * (start with 0). */
uint32_t fsd_crc32(uint32_t crc, const void *buf, size_t n);

/* Opens a read-write session on the block driver `cap` and reads the disk
 * geometry.  Fails with RW_EINVAL if the sector size is not 512. */
long fsd_open(rw_cap cap);

/* Bytes a slot can hold: H * 512 (0 before fsd_open, or if the disk is
 * too small to hold two slots). */
uint64_t fsd_slot_bytes(void);

/*
 * Loads the newest valid snapshot.  Candidates are the slots whose header
 * is valid and whose data has the recorded CRC, highest sequence first; for
 * each, load(ctx) is called and reads the data with fsd_get.  If load
 * returns an error the caller must undo what it built, and the next
 * candidate is tried.  Returns 0 (then *seq = the mounted sequence),
 * FSD_EUNFORMATTED, or a block error.
 */
long fsd_mount(long (*load)(void *ctx), void *ctx, uint64_t *seq);

/* During load: copies the next n bytes of the snapshot to dst.  Returns 0,
 * FSD_ECORRUPT past the recorded data length, or a block error. */
long fsd_get(void *dst, size_t n);

/* During load: bytes of the snapshot not yet read by fsd_get. */
uint64_t fsd_remaining(void);

/*
 * Writes a new snapshot: emit(ctx) writes the data with fsd_put into the
 * slot not holding the mounted snapshot; then the data is flushed, that
 * slot's header (sequence + 1) written and flushed again.  Only then does
 * the new snapshot become the mounted one.  On failure the mounted snapshot
 * is unchanged on disk and in here; the caller keeps its state and may
 * retry.  If a block call fails with RW_EDEAD (the driver restarted) or
 * BLK_ENOTOPEN (its session was lost), the session is reopened and the
 * whole commit tried once more.  Returns 0, RW_ENOMEM (the data did not
 * fit in a slot) or a block error.
 */
long fsd_commit(void (*emit)(void *ctx), void *ctx);

/* During emit: appends n bytes to the snapshot.  Errors are remembered and
 * reported by fsd_commit; later calls then do nothing. */
void fsd_put(const void *src, size_t n);

/* The sequence number and slot (0 = A, 1 = B) of the mounted snapshot. */
uint64_t fsd_seq(void);
int fsd_slot(void);

/* Bytes of the mounted snapshot's data (the header's data length). */
uint64_t fsd_data_len(void);

#endif
