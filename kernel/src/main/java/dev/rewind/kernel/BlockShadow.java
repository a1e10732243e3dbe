package dev.rewind.kernel;

import dev.rewind.abi.Abi;
import dev.rewind.abi.Blk;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The shadow of a block driver (protocol of {@code <rewind/blk.h>}, defined in guest/abi/blk.proto). Driver state it rebuilds:
 * the clients' sessions (BLK_OPEN, dropped by BLK_CLOSE). Block requests are idempotent (a
 * WRITE re-issued writes the same bytes to the same sectors, and the device runs each command
 * atomically), but a failing driver may have written elsewhere first (a corrupted instruction
 * that computes the wrong sector, found by the code check before the reply): so the device
 * journals the sectors each request writes, and a request cut short by a driver failure has
 * them put back before it is re-issued.
 *
 * <p><b>Acknowledged writes.</b> The protocol lets a driver acknowledge a WRITE before it reaches
 * the device: only FLUSH promises stable storage (a driver with a write-back cache). What such a
 * driver held dies with it, and the clients were told it was written. So the shadow keeps the
 * data of every WRITE acknowledged since the last acknowledged FLUSH that the device did not write in
 * the request itself (the latest per sector, at most {@link #UNFLUSHED_MAX_SECTORS}, those the device
 * was seen writing later dropped first); after a restart it compares them with the disk (after
 * the failed request's writes are undone) and replays, as WRITE requests to the new driver,
 * the sectors the disk does not hold. A write-through driver leaves nothing to replay.
 *
 * <p><b>EIO.</b> The device tells a failure of its own (IO_ERROR, NO_DISK) from a command the
 * driver got wrong (OUT_OF_RANGE, DMA_FAULT, BAD_COMMAND: a driver that checked the request
 * never issues one). A driver answering EIO while its device has failed no command since the
 * last acknowledged FLUSH has failed itself: corrupt state (measured: a corrupted loop bound
 * made a cache driver write past its slot table and answer EIO to every later request).
 */
final class BlockShadow extends Shadow {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BlockShadow.class);

    static final long BLK_OPEN = Blk.OPEN;
    static final long BLK_CLOSE = Blk.CLOSE;

    private static final int SECTOR = (int) Blk.SECTOR;

    /**
     * Acknowledged sectors not yet flushed that the shadow keeps (8 MiB, the journal's limit).
     * When full, the sectors the device was seen writing with their kept data are dropped
     * ({@link #dropLanded}); only a driver that holds more than this the disk lacks makes the
     * shadow drop everything until the next FLUSH, and a restart in that window cannot replay
     * them (noted).
     */
    static final int UNFLUSHED_MAX_SECTORS = 16384;

    /**
     * The badge of the session the shadow opens to replay writes when no client holds a
     * read-write one (a task's badge is its index + 1: small).
     */
    static final long REPLAY_BADGE = 0x5348_4457L; // "SHDW"

    /** A sector acknowledged since the last acknowledged FLUSH. */
    private static final class Kept {
        /** What its last acknowledged WRITE wrote. */
        final byte[] data = new byte[SECTOR];

        /** The device has written exactly that to the disk since (no need to read the disk to know). */
        boolean landed;
    }

    /** The sectors acknowledged since the last acknowledged FLUSH. */
    private final java.util.HashMap<Long, Kept> unflushed = new java.util.HashMap<>();

    /** Records of sectors no longer kept, for the next ones (at most {@link #SPARE}). */
    private final java.util.ArrayDeque<Kept> spare = new java.util.ArrayDeque<>();

    private static final int SPARE = 512;

    /** How many sectors' data the shadow keeps now (for tests). */
    int keptSectors() {
        return unflushed.size();
    }

    /** How many of them have not {@link Kept#landed}. */
    private int notLanded;

    private void setLanded(Kept kept, boolean landed) {
        if (kept.landed != landed) {
            kept.landed = landed;
            notLanded += landed ? -1 : 1;
        }
    }

    /**
     * Each (sector, data) acknowledged since the last acknowledged FLUSH and then written over,
     * as a 64-bit digest, mapped to its sector, oldest first: a driver that queues writes may
     * write a sector's older versions before its latest one (which {@link #unflushed} holds).
     * At most {@link #SUPERSEDED_MAX}: past it the oldest are forgotten (a queue wrote them long
     * before), and so are a sector's once its latest version has landed.
     */
    private final java.util.LinkedHashMap<Long, Long> superseded = new java.util.LinkedHashMap<>();

    /** Versions written over that {@link #superseded} remembers at most. */
    static final int SUPERSEDED_MAX = 4 * UNFLUSHED_MAX_SECTORS;

    /**
     * More than {@link #UNFLUSHED_MAX_SECTORS} sectors that the disk was not seen to hold were
     * written since the last FLUSH: nothing is kept or checked until the next one.
     */
    private boolean unflushedLost;

    /** The endpoint and badge of the last acknowledged WRITE. */
    private Endpoint writeEp;

    private long lastWriter;
    /** The WRITE in flight from a client: its sectors (0 for any other request), first sector and data. */
    private int writeCount;

    private final byte[] writeData = new byte[(int) Blk.MAX_COUNT * SECTOR];

    private long writeSector;
    /** Which sectors of the WRITE in flight the device last wrote with that WRITE's data (bit i: sector i). */
    private int writeLanded;
    /**
     * Sectors whose content is not known since the last acknowledged FLUSH: a WRITE of them
     * failed, or was cut short, and none was acknowledged since (the driver may hold the data it
     * was given or not). Neither a READ nor a device write of them is checked.
     */
    private final java.util.Set<Long> unknown = new java.util.HashSet<>();

    /** What the device read for the request in flight: up to {@link #READS} sectors. */
    private static final int READS = 2 * (int) Blk.MAX_COUNT;

    private final long[] readSector = new long[READS];
    private final byte[][] readData = new byte[READS][SECTOR];
    private int reads;

    private final dev.rewind.hw.dev.BlockDevice.Watcher watcher = new dev.rewind.hw.dev.BlockDevice.Watcher() {
        @Override
        public void writing(long sector, byte[] data, int len) {
            deviceWriting(sector, data, len);
        }

        @Override
        public void read(long sector, byte[] data, int len) {
            for (int i = 0; i < len / SECTOR && reads < READS; i++) {
                readSector[reads] = sector + i;
                System.arraycopy(data, i * SECTOR, readData[reads++], 0, SECTOR);
            }
        }
    };

    /** The data the device read for sector {@code s} in the request in flight (the latest), or null. */
    private byte[] deviceRead(long s) {
        for (int i = reads - 1; i >= 0; i--) {
            if (readSector[i] == s) {
                return readData[i];
            }
        }
        return null;
    }

    /** What the driver wrote to its disk in the request in flight that no client wrote, or null. */
    private String strayWrite;

    /**
     * Between a reply and the next request the driver may still write to its device (a
     * write-back cache cleaning a dirty sector after it replied, off the request's path). Those
     * writes are journaled too, from the reply on ({@link #requestEnds}), and checked as a
     * request's are; a write of data no client wrote has no reply to hold back, so it faults the
     * driver at once ({@link #idleStray}), and the period's writes are undone before the restart
     * or the next request. Measured: a corrupted sector number in a cache slot made such a
     * write-back put one sector's data on another, already flushed one, which every later READ
     * then answered, and the shadow, comparing with the disk, let through.
     */
    private boolean idleJournal;

    /** What the driver wrote between requests that no client wrote, or null. */
    private String idleStray;

    /** {@code deviceFailures()} when the last FLUSH was acknowledged. */
    private long failuresAtFlush;

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

    private boolean isUnknown(long s) {
        return !unknown.isEmpty() && unknown.contains(s);
    }

    /**
     * Journal the device's writes during the request, except those to the sectors of a WRITE
     * request itself: re-issued, it writes them again (so a correct driver costs nothing). Keep
     * a client's WRITE data (the driver's copy, just delivered) until it is answered.
     */
    @Override
    void requestBegins(Task client) {
        endIdle();
        dev.rewind.hw.dev.BlockDevice d = device();
        long label = client.msg(0);
        // A WRITE of a client without a read-write session must be refused (ENOTOPEN, EROFS):
        // what the driver writes for it is no client's data, and is journaled like any other.
        long[] open = client.agentFor() == null ? session(client.sendBadge()) : null;
        boolean mayWrite = client.agentFor() != null || (open != null && (open[1] & Blk.O_RDONLY) == 0);
        if (d != null) {
            if (label == Blk.WRITE && mayWrite) {
                d.journalBegin(client.msg(1), client.msg(2));
            } else {
                d.journalBegin();
            }
            d.setWatcher(watcher);
        }
        writeCount = 0;
        writeLanded = 0;
        failuresAtBegin = d != null ? d.deviceFailures() : 0;
        reads = 0;
        strayWrite = null;
        if (label == Blk.WRITE
                && client.agentFor() == null
                && mayWrite
                && driver.cpu() != null
                && wellFormed(client.message())) {
            int count = (int) client.msg(2); // (well-formed: 1..MAX_COUNT, count * 512 bytes)
            if (driver.cpu().memory().read(Abi.IPC_BUF_ADDR, writeData, 0, count * SECTOR)) {
                writeCount = count;
                writeSector = client.msg(1);
                writeEp = inflightEndpoint();
            }
        }
    }

    /** {@code deviceFailures()} when the request in flight began. */
    private long failuresAtBegin;

    /** The device failed a command of its own fault (IO_ERROR, NO_DISK) since the request began. */
    private boolean failedSinceBegin() {
        dev.rewind.hw.dev.BlockDevice d = device();
        return d == null || d.deviceFailures() != failuresAtBegin;
    }

    /**
     * A WRITE acknowledged: keep its data until a FLUSH is (unless the device wrote it in the
     * request); a WRITE failed: its sectors are
     * unknown (the driver may hold the new data or not); a FLUSH acknowledged: the disk holds
     * everything, drop it all.
     */
    @Override
    void answered(Task client, long[] reply) {
        int count = writeCount;
        writeCount = 0;
        long label = client.msg(0);
        boolean ok = reply[1] == 0;
        if (label == Blk.WRITE && wellFormed(client.message())) {
            for (long s = client.msg(1); s < client.msg(1) + client.msg(2); s++) {
                if (!ok) {
                    unknown.add(s);
                } else if (!unknown.isEmpty()) {
                    unknown.remove(s);
                }
            }
        }
        if (!ok) {
            return;
        }
        if (label == Blk.FLUSH) {
            dropKept();
            unflushedLost = false;
            dev.rewind.hw.dev.BlockDevice d = device();
            failuresAtFlush = d != null ? d.deviceFailures() : 0;
        } else if (label == Blk.WRITE && count > 0 && !unflushedLost) {
            lastWriter = client.sendBadge();
            for (int i = 0; i < count; i++) {
                long s = writeSector + i;
                if ((writeLanded & 1 << i) != 0 && superseded.isEmpty() && !failedSinceBegin()) {
                    // The device wrote this data in the request, which has committed, and failed
                    // no command meanwhile: the disk holds it (nothing to replay; a READ of it is
                    // checked against the disk), so it is not kept (nor an older version: none is
                    // remembered). Keeping every 4 KiB a driver without a cache writes cost a
                    // written request more than its own time (issue 12's `bench blk`: 61 against
                    // 40 µs a request, the copies' fresh memory).
                    Kept old = unflushed.remove(s);
                    if (old != null) {
                        recycle(old);
                    }
                    continue;
                }
                Kept kept = unflushed.get(s);
                if (kept == null && unflushed.size() >= UNFLUSHED_MAX_SECTORS && dropLanded() == 0) {
                    dropKept();
                    unflushedLost = true;
                    return;
                }
                if (kept == null) {
                    kept = spare.isEmpty() ? new Kept() : spare.pop();
                    unflushed.put(s, kept);
                    notLanded++;
                } else {
                    superseded.put(digest(s, kept.data, 0), s);
                    if (superseded.size() > SUPERSEDED_MAX) {
                        java.util.Iterator<Long> oldest = superseded.keySet().iterator();
                        oldest.next();
                        oldest.remove();
                    }
                }
                System.arraycopy(writeData, i * SECTOR, kept.data, 0, SECTOR);
                setLanded(kept, (writeLanded & 1 << i) != 0);
            }
        }
    }

    /**
     * Stops keeping the sectors the device was seen writing with their last acknowledged data
     * (the disk holds them: nothing to replay, and a READ of them is checked against the disk),
     * with their older versions; returns how many. A driver that writes back what it caches
     * keeps the kept set bounded by its cache, however much is written between FLUSHes
     * (measured: a client writing 17,000 sectors with no FLUSH through a 16-sector write-back
     * cache lost the 16 the driver held when it failed, before this).
     */
    private int dropLanded() {
        java.util.Set<Long> dropped = new java.util.HashSet<>();
        for (java.util.Iterator<Map.Entry<Long, Kept>> it = unflushed.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Kept> e = it.next();
            Kept kept = e.getValue();
            if (kept.landed) {
                dropped.add(e.getKey());
                it.remove();
                recycle(kept);
            }
        }
        if (!dropped.isEmpty() && !superseded.isEmpty()) {
            superseded.values().removeIf(dropped::contains);
        }
        if (!dropped.isEmpty()) {
            log.debug("shadow: {}: {} kept sectors are on the disk: no longer kept", driver, dropped.size());
        }
        return dropped.size();
    }

    /** {@code kept}, no longer in {@link #unflushed}: out of the count, and spare if there is room. */
    private void recycle(Kept kept) {
        setLanded(kept, true);
        kept.landed = false; // (as a spare record is)
        if (spare.size() < SPARE) {
            spare.push(kept);
        }
    }

    private void dropKept() {
        for (Kept kept : unflushed.values()) {
            if (spare.size() >= SPARE) {
                break;
            }
            kept.landed = false;
            spare.push(kept);
        }
        unflushed.clear();
        notLanded = 0;
        superseded.clear();
        unknown.clear();
    }

    /** A 64-bit digest of sector {@code s} holding the 512 bytes of {@code data} from {@code at}. */
    static long digest(long s, byte[] data, int at) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data);
        long h = s * 0x9E3779B97F4A7C15L;
        for (int i = at; i < at + SECTOR; i += 8) {
            h = (h ^ b.getLong(i)) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        return h;
    }

    /**
     * The acknowledged, unflushed sectors the disk does not hold (the old driver had them only
     * in its memory), as WRITE requests of up to MAX_COUNT sectors: sent with the badge of the
     * last writer if its session is read-write, else of any read-write session, else inside a
     * session of the shadow's own (OPEN before, CLOSE after).
     */
    @Override
    List<Replay> lostWork(Map<Long, long[]> open) {
        strayWrite = null;
        if (unflushedLost) {
            k.recoveryNote(
                    log,
                    "shadow: {}: more than {} sectors were written since the last FLUSH; those the driver held are lost",
                    driver,
                    UNFLUSHED_MAX_SECTORS);
        }
        // The WRITE cut short (if it was one) is re-issued, writing its sectors again; or, failed
        // a second time, it is answered EIO. Either way what it held is not replayed, and until
        // it is acknowledged its sectors are unknown.
        long cutFrom = 0;
        long cutTo = 0;
        if (writeCount > 0) {
            cutFrom = writeSector;
            cutTo = writeSector + writeCount;
            for (long s = cutFrom; s < cutTo; s++) {
                unknown.add(s);
            }
            writeCount = 0;
        }
        // The undone request may have put back older data under a sector that had landed: ask
        // the disk about every one.
        for (Kept kept : unflushed.values()) {
            setLanded(kept, false);
        }
        long from = cutFrom;
        long to = cutTo;
        List<Long> missing = notOnDisk(s -> s >= from && s < to, false);
        // The others are on the disk as they were acknowledged: landed (dropped first when the
        // kept set is full).
        java.util.Set<Long> lacking = new java.util.HashSet<>(missing);
        for (Map.Entry<Long, Kept> e : unflushed.entrySet()) {
            long s = e.getKey();
            if (!(s >= from && s < to) && !lacking.contains(s)) {
                setLanded(e.getValue(), true);
            }
        }
        if (missing.isEmpty()) {
            return List.of();
        }
        long badge = -1;
        long[] w = open.get(lastWriter);
        if (w != null && (w[1] & Blk.O_RDONLY) == 0) {
            badge = lastWriter;
        } else {
            for (Map.Entry<Long, long[]> e : open.entrySet()) {
                if ((e.getValue()[1] & Blk.O_RDONLY) == 0) {
                    badge = e.getKey();
                    break;
                }
            }
        }
        boolean own = badge == -1;
        List<Replay> out = new ArrayList<>();
        if (own) {
            badge = REPLAY_BADGE;
            out.add(new Replay(writeEp, badge, new long[] {Blk.OPEN, 0, 0, 0, 0, 0}, null));
        }
        int requests = 0;
        for (int i = 0; i < missing.size(); ) {
            long first = missing.get(i);
            int n = 1;
            while (i + n < missing.size() && n < Blk.MAX_COUNT && missing.get(i + n) == first + n) {
                n++;
            }
            byte[] payload = new byte[n * SECTOR];
            for (int j = 0; j < n; j++) {
                System.arraycopy(unflushed.get(first + j).data, 0, payload, j * SECTOR, SECTOR);
            }
            out.add(new Replay(writeEp, badge, new long[] {Blk.WRITE, first, n, 0, 0, payload.length}, payload));
            requests++;
            i += n;
        }
        if (own) {
            out.add(new Replay(writeEp, badge, new long[] {Blk.CLOSE, 0, 0, 0, 0, 0}, null));
        }
        dev.rewind.hw.dev.BlockDevice d = device();
        k.recoveryNote(
                log,
                "shadow: {}: {} acknowledged sector(s) written since the last FLUSH are not on {}: replayed in {} WRITE request(s){}",
                driver,
                missing.size(),
                d == null ? "its disk" : d.name(),
                requests,
                own ? " in a session of the shadow's own" : "");
        return out;
    }

    /**
     * The driver's device is about to write {@code len} bytes of {@code data} from {@code first}.
     * A correct driver of this protocol writes a sector only with data a client wrote to it: the
     * WRITE in flight's, a WRITE's acknowledged since the last FLUSH (a write-back cache
     * evicting it; a write queue, older versions first), or what the disk already holds.
     * Anything else (a corrupted copy, a wrong sector, a wild pointer) is remembered, and the
     * reply is held back ({@link #requestBreach}): the driver is restarted, this write undone by
     * the journal, and the request re-issued. Also notes which kept sectors have landed.
     */
    private void deviceWriting(long first, byte[] data, int len) {
        dev.rewind.hw.dev.BlockDevice d = device();
        if (unflushedLost || d == null) {
            return;
        }
        byte[] onDisk = null;
        for (int i = 0; i < len / SECTOR; i++) {
            long s = first + i;
            int at = i * SECTOR;
            Kept kept = unflushed.get(s);
            boolean latest = kept != null && Arrays.equals(data, at, at + SECTOR, kept.data, 0, SECTOR);
            if (kept != null) {
                setLanded(kept, latest);
            }
            boolean inFlight = false;
            if (writeCount > 0 && s >= writeSector && s < writeSector + writeCount) {
                int w = (int) (s - writeSector);
                inFlight = Arrays.equals(data, at, at + SECTOR, writeData, w * SECTOR, (w + 1) * SECTOR);
                writeLanded = inFlight ? writeLanded | 1 << w : writeLanded & ~(1 << w);
            }
            if (latest || inFlight || strayWrite != null || isUnknown(s)) {
                continue;
            }
            if (!superseded.isEmpty() && superseded.containsKey(digest(s, data, at))) {
                continue;
            }
            if (onDisk == null) {
                onDisk = new byte[SECTOR];
            }
            if (d.readSectors(s, onDisk) && Arrays.equals(data, at, at + SECTOR, onDisk, 0, SECTOR)) {
                continue;
            }
            strayWrite = "wrote sector " + s + " of " + d.name() + " with data no client wrote to it";
        }
        if (strayWrite != null && idleJournal && idleStray == null) {
            // Between requests: no reply to hold back. Faulted once its CPU stops (its next
            // syscall that blocks, or its slice's end); the period's writes undone first.
            idleStray = strayWrite;
            driver.faultWhenStopped(new Fault(
                    FaultKind.CORRUPT_STATE,
                    driver.pc(),
                    0,
                    driver.image().describe(driver.pc()),
                    idleStray + " between requests"));
        }
    }

    @Override
    String requestBreach() {
        return strayWrite;
    }

    /**
     * Why an acknowledged FLUSH cannot be true, or null: it promises that everything written is
     * on the disk, so every sector acknowledged since the last FLUSH must hold what it was last
     * written (measured: a corrupted loop counter made a caching driver acknowledge a WRITE
     * whose last sectors it never kept; the FLUSH after it left the old data on disk). Sectors
     * the device was seen writing with that data are not read again.
     */
    private String flushBreach() {
        if (unflushedLost || device() == null || notLanded == 0) {
            return null;
        }
        List<Long> missing = notOnDisk(s -> isUnknown(s) || unflushed.get(s).landed, true);
        return missing.isEmpty()
                ? null
                : "acknowledged a FLUSH while sector " + missing.get(0)
                        + " does not hold what its last acknowledged WRITE wrote";
    }

    /** Sectors read from the disk at once when comparing what the shadow kept with it. */
    private static final int RUN = 128;

    /**
     * The kept sectors (ascending, those {@code skip} accepts left out) whose data the disk does
     * not hold (or cannot be read), reading runs of contiguous sectors at once; with {@code
     * first}, only the first such sector.
     */
    private List<Long> notOnDisk(java.util.function.LongPredicate skip, boolean first) {
        dev.rewind.hw.dev.BlockDevice d = device();
        List<Long> out = new ArrayList<>();
        List<Map.Entry<Long, Kept>> sorted = new ArrayList<>();
        for (Map.Entry<Long, Kept> e : unflushed.entrySet()) {
            if (!skip.test(e.getKey())) {
                sorted.add(e);
            }
        }
        sorted.sort(Map.Entry.comparingByKey());
        List<Map.Entry<Long, Kept>> run = new ArrayList<>();
        java.util.Iterator<Map.Entry<Long, Kept>> it = sorted.iterator();
        while (it.hasNext() || !run.isEmpty()) {
            Map.Entry<Long, Kept> e = it.hasNext() ? it.next() : null;
            boolean contiguous = e != null
                    && !run.isEmpty()
                    && run.size() < RUN
                    && e.getKey() == run.get(run.size() - 1).getKey() + 1;
            if (!run.isEmpty() && !contiguous) {
                byte[] buf = new byte[run.size() * SECTOR];
                boolean read = d != null && d.readSectors(run.get(0).getKey(), buf);
                for (int i = 0; i < run.size(); i++) {
                    if (!read
                            || !Arrays.equals(
                                    buf,
                                    i * SECTOR,
                                    (i + 1) * SECTOR,
                                    run.get(i).getValue().data,
                                    0,
                                    SECTOR)) {
                        out.add(run.get(i).getKey());
                        if (first) {
                            return out;
                        }
                    }
                }
                run.clear();
            }
            if (e != null) {
                run.add(e);
            }
        }
        return out;
    }

    /** Scratch for {@link #readBreach}: the driver's answer and the disk's sectors. */
    private final byte[] readAnswer = new byte[(int) Blk.MAX_COUNT * SECTOR];

    private final byte[] readDisk = new byte[(int) Blk.MAX_COUNT * SECTOR];

    /**
     * Why the data a READ of {@code count} sectors from {@code first} answers (in the driver's
     * IPC buffer, about to be copied out) cannot be right, or null. What a correct driver answers
     * for a sector is known: the last acknowledged WRITE of it since the last acknowledged FLUSH,
     * else what the disk holds (everything acknowledged before that FLUSH is on it). Not checked:
     * sectors whose last WRITE failed or was cut short, and everything while more was written
     * than the shadow keeps.
     */
    private String readBreach(long first, int count) {
        dev.rewind.hw.dev.BlockDevice d = device();
        if (unflushedLost || d == null || driver.cpu() == null) {
            return null;
        }
        if (count <= 0 || count > Blk.MAX_COUNT) {
            return null; // (not a well-formed READ: contractBreach's to say)
        }
        byte[] answer = readAnswer; // (scratch: a READ's check allocates nothing)
        if (!driver.cpu().memory().read(Abi.IPC_BUF_ADDR, answer, 0, count * SECTOR)) {
            return null;
        }
        byte[] disk = null; // (the range's sectors on disk, read once, when one is not kept)
        for (int i = 0; i < count; i++) {
            long s = first + i;
            int at = i * SECTOR;
            if (isUnknown(s)) {
                continue;
            }
            Kept kept = unflushed.isEmpty() ? null : unflushed.get(s);
            boolean right;
            byte[] read;
            if (kept != null) {
                right = Arrays.equals(answer, at, at + SECTOR, kept.data, 0, SECTOR);
            } else if ((read = deviceRead(s)) != null) {
                // (what the device read for this request: the disk's content, if no write
                // came after; one of this sector would have been checked and kept, or unknown)
                right = Arrays.equals(answer, at, at + SECTOR, read, 0, SECTOR);
            } else {
                if (disk == null) {
                    disk = count == Blk.MAX_COUNT ? readDisk : new byte[count * SECTOR];
                    if (!d.readSectors(first, disk)) {
                        return null;
                    }
                }
                right = Arrays.equals(answer, at, at + SECTOR, disk, at, at + SECTOR);
            }
            if (!right) {
                return "answered a READ of sector " + s + " with data other than its last acknowledged WRITE's"
                        + (kept == null
                                ? " (flushed: what the disk holds)"
                                : " (not yet flushed: what the shadow kept)");
            }
        }
        return null;
    }

    @Override
    void requestEnds() {
        dev.rewind.hw.dev.BlockDevice d = device();
        if (d != null) {
            d.journalCommit();
            d.journalBegin(); // what the driver writes until its next request ({@link #idleJournal})
            idleJournal = true;
            idleStray = null;
            strayWrite = null;
        }
    }

    /**
     * The period since the last reply ends (a request begins, or the driver failed): its writes
     * stay, or, if one of them was data no client wrote, all are undone (the sectors the shadow
     * keeps are compared with the disk again; the driver faults, or has, and they are replayed).
     */
    private void endIdle() {
        dev.rewind.hw.dev.BlockDevice d = device();
        if (!idleJournal || d == null) {
            idleJournal = false;
            return;
        }
        idleJournal = false;
        if (idleStray == null) {
            d.journalCommit();
            return;
        }
        int sectors = d.journalRollback();
        for (Kept kept : unflushed.values()) {
            setLanded(kept, false);
        }
        k.recoveryNote(
                log,
                "shadow: {}: {} between requests; its writes since its last reply undone on {} ({} sectors)",
                driver,
                idleStray,
                d.name(),
                sectors);
        idleStray = null;
    }

    @Override
    void driverLost() {
        endIdle();
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

    /** INFO answers the device's geometry: SECTOR_SIZE and CAPACITY, which the kernel knows. */
    @Override
    String answerBreach(long[] msg, long[] reply) {
        long capacity = capacity();
        if (msg[0] == Blk.INFO && capacity > 0 && (reply[2] != Blk.SECTOR || reply[3] != capacity)) {
            return "answered INFO with " + reply[2] + "-byte sectors and " + reply[3] + " sectors for a device of "
                    + Blk.SECTOR + "-byte sectors and " + capacity;
        }
        return null;
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
    long deviceError() {
        return Blk.EIO;
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
        boolean io = msg[0] == Blk.READ || msg[0] == Blk.WRITE || msg[0] == Blk.FLUSH;
        if (status == 0 && io && open == null) {
            return "acknowledged a " + Blk.opName(msg[0]) + " of a client without an open session (ENOTOPEN)";
        }
        if (status == 0 && (msg[0] == Blk.WRITE || msg[0] == Blk.FLUSH) && (open[1] & Blk.O_RDONLY) != 0) {
            return "acknowledged a " + Blk.opName(msg[0]) + " of a read-only session (EROFS)";
        }
        if (status == 0 && (msg[0] == Blk.READ || msg[0] == Blk.WRITE)) {
            long capacity = capacity();
            if (capacity > 0
                    && (Long.compareUnsigned(msg[1], capacity) >= 0
                            || Long.compareUnsigned(msg[2], capacity - msg[1]) > 0)) {
                return "acknowledged a " + Blk.opName(msg[0]) + " of sectors " + msg[1] + "+" + msg[2]
                        + " past the end of a disk of " + capacity + " (ERANGE)";
            }
        }
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
        if (status == 0 && msg[0] == Blk.READ) {
            String wrong = readBreach(msg[1], (int) msg[2]);
            if (wrong != null) {
                return wrong;
            }
        }
        if (status == 0 && msg[0] == Blk.FLUSH) {
            String wrong = flushBreach();
            if (wrong != null) {
                return wrong;
            }
        }
        if (status == Blk.EIO && msg[0] != Blk.INFO) {
            dev.rewind.hw.dev.BlockDevice d = device();
            if (d != null && d.capacity() > 0 && d.deviceFailures() == failuresAtFlush) {
                return "answered EIO though its device has failed no command since the last FLUSH"
                        + " (the device's own failures are IO_ERROR and NO_DISK)";
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
