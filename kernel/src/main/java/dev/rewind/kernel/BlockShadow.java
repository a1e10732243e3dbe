package dev.rewind.kernel;

import dev.rewind.abi.Blk;

/**
 * The shadow of a block driver (protocol of {@code <rewind/blk.h>}, defined in guest/abi/blk.proto). Driver state it rebuilds:
 * the clients' sessions (BLK_OPEN, dropped by BLK_CLOSE). Nothing to repair before re-issuing:
 * block requests are idempotent (a WRITE re-issued writes the same bytes to the same sectors,
 * and the device runs each command atomically).
 */
final class BlockShadow extends Shadow {
    static final long BLK_OPEN = Blk.OPEN;
    static final long BLK_CLOSE = Blk.CLOSE;

    BlockShadow(Kernel k, Task driver) {
        super(k, driver, BLK_OPEN, BLK_CLOSE);
    }
}
