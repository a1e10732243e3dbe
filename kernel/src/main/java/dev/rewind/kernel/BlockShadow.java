package dev.rewind.kernel;

/**
 * The shadow of a block driver (protocol of {@code <rewind/blk.h>}). Driver state it rebuilds:
 * the clients' sessions (BLK_OPEN, dropped by BLK_CLOSE). Nothing to repair before re-issuing:
 * block requests are idempotent (a WRITE re-issued writes the same bytes to the same sectors,
 * and the device runs each command atomically).
 */
final class BlockShadow extends Shadow {
    static final long BLK_OPEN = 0x424bL << 16 | 2;
    static final long BLK_CLOSE = 0x424bL << 16 | 3;

    BlockShadow(Kernel k, Task driver) {
        super(k, driver, BLK_OPEN, BLK_CLOSE);
    }
}
