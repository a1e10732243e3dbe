package dev.rewind.kernel;

import dev.rewind.abi.Blk;

/**
 * The shadow of a block driver (protocol of {@code <rewind/blk.h>}, defined in guest/abi/blk.proto). Driver state it rebuilds:
 * the clients' sessions (BLK_OPEN, dropped by BLK_CLOSE). Block requests are idempotent (a
 * WRITE re-issued writes the same bytes to the same sectors, and the device runs each command
 * atomically), but a failing driver may have written elsewhere first (a corrupted instruction
 * that computes the wrong sector, found by the code check before the reply): so the device
 * journals the sectors each request writes, and a request cut short by a driver failure has
 * them put back before it is re-issued.
 */
final class BlockShadow extends Shadow {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BlockShadow.class);

    static final long BLK_OPEN = Blk.OPEN;
    static final long BLK_CLOSE = Blk.CLOSE;

    BlockShadow(Kernel k, Task driver) {
        super(k, driver, BLK_OPEN, BLK_CLOSE);
    }

    /** The sectors of the driver's block device, or 0 if it has none the kernel knows. */
    private long capacity() {
        dev.rewind.hw.dev.BlockDevice d = device();
        return d != null ? d.capacity() : 0;
    }

    /** The driver's block device, or null. */
    private dev.rewind.hw.dev.BlockDevice device() {
        for (BoundDevice bd : driver.devices()) {
            if (bd.device instanceof dev.rewind.hw.dev.BlockDevice b) {
                return b;
            }
        }
        return null;
    }

    /**
     * Journal the device's writes during the request, except those to the sectors of a WRITE
     * request itself: re-issued, it writes them again (so a correct driver costs nothing).
     */
    @Override
    void requestBegins(Task client) {
        dev.rewind.hw.dev.BlockDevice d = device();
        if (d != null) {
            if (client.msg(0) == Blk.WRITE) {
                d.journalBegin(client.msg(1), client.msg(2));
            } else {
                d.journalBegin();
            }
        }
    }

    @Override
    void requestEnds() {
        dev.rewind.hw.dev.BlockDevice d = device();
        if (d != null) {
            d.journalCommit();
        }
    }

    @Override
    void undoRequest() {
        dev.rewind.hw.dev.BlockDevice d = device();
        if (d == null) {
            return;
        }
        int sectors = d.journalRollback();
        if (sectors > 0) {
            k.recoveryNote(
                    log,
                    "shadow: {}: the failed request's writes undone on {} ({} sectors)",
                    driver,
                    d.name(),
                    sectors);
        } else if (sectors < 0) {
            k.recoveryNote(log, "shadow: {}: the failed request's writes on {} cannot be undone", driver, d.name());
        }
    }

    @Override
    String opName(long label) {
        return Blk.opName(label);
    }

    @Override
    boolean wellFormed(long[] m) {
        return Blk.wellFormed(m[0], m[1], m[2], m[3], m[4], m[5]);
    }

    @Override
    boolean mayAnswer(long label, long status) {
        return Blk.mayAnswer(label, status);
    }

    @Override
    boolean replyWellFormed(long[] m, long[] r) {
        return Blk.replyWellFormed(m[0], r[1], r[2], r[3], r[4], r[5], r[6], m);
    }

    /**
     * ERANGE for sectors within the disk (its capacity is the device's, which the kernel owns);
     * ENOTOPEN to a client with an open session; EROFS to one whose session is read-write.
     */
    @Override
    String stateBreach(long[] msg, long status, long[] open) {
        if (status == Blk.ERANGE && (msg[0] == Blk.READ || msg[0] == Blk.WRITE)) {
            long capacity = capacity();
            long sector = msg[1];
            long count = msg[2];
            if (capacity > 0
                    && Long.compareUnsigned(sector, capacity) < 0
                    && Long.compareUnsigned(count, capacity - sector) <= 0) {
                return "answered ERANGE to sectors " + sector + "+" + count + " of a disk of " + capacity;
            }
        }
        if (open == null) {
            return null;
        }
        if (status == Blk.ENOTOPEN) {
            return "answered ENOTOPEN to a client whose OPEN it acknowledged";
        }
        if (status == Blk.EROFS && (open[1] & Blk.O_RDONLY) == 0) {
            return "answered EROFS to a client whose session is read-write";
        }
        return null;
    }
}
