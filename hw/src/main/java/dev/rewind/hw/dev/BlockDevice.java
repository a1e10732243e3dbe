package dev.rewind.hw.dev;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The block device (docs/DEVICES.md, "Block device (DEVICE_ID 2)"): a host disk-image file
 * of 512-byte sectors, read and written by DMA through the owning driver's {@link DmaPort}.
 *
 * <p>A command runs synchronously inside the COMMAND store and is atomic: range and DMA are
 * checked in full before anything is written (a WRITE first DMA-reads the whole buffer, then
 * makes one positional write; a READ reads the file, then DMA-writes). A completed WRITE is in
 * the host file; FLUSH forces it to stable storage. Every command, failed or not, sets
 * CMD_STATUS, counts in COMPLETED and asserts the COMPLETION cause. RESET clears SECTOR, ADDR,
 * COUNT and CMD_STATUS (0xff); COMPLETED counts since power-on and survives it.
 */
public final class BlockDevice extends Device implements AutoCloseable {
    public static final int SECTOR_SIZE = 0x20;
    public static final int MAX_SECTORS = 0x24;
    public static final int CAPACITY = 0x28;
    public static final int SECTOR = 0x30;
    public static final int ADDR = 0x38;
    public static final int COUNT = 0x40;
    public static final int COMMAND = 0x44;
    public static final int CMD_STATUS = 0x48;
    public static final int COMPLETED = 0x4c;

    public static final int SECTOR_BYTES = 512;
    public static final int MAX_SECTORS_VALUE = 128;
    public static final int STATUS_READY = 1;
    /** IRQ cause bit 0: a command completed. */
    public static final int CAUSE_COMPLETION = CAUSE;

    public static final int CMD_READ = 1, CMD_WRITE = 2, CMD_FLUSH = 3;
    public static final int ST_OK = 0,
            ST_BAD_COMMAND = 1,
            ST_OUT_OF_RANGE = 2,
            ST_DMA_FAULT = 3,
            ST_IO_ERROR = 4,
            ST_NO_DISK = 5,
            ST_NONE = 0xff;

    private static final Logger log = LoggerFactory.getLogger(BlockDevice.class);

    private final FileChannel disk;
    private final long capacity;
    private final byte[] buffer = new byte[MAX_SECTORS_VALUE * SECTOR_BYTES];
    private DmaPort dma;

    private long sector;
    private long addr;
    private int count;
    private int cmdStatus = ST_NONE;
    private int completed;

    private long commands;
    /** Commands that failed for a reason of the device's own (IO_ERROR, NO_DISK). */
    private long deviceFailures;

    private long bytesRead;
    private long bytesWritten;

    /**
     * While journaling ({@link #journalBegin}): the disk's contents at each write's position
     * just before the write, oldest first, as {position, bytes}; null when not journaling.
     */
    private java.util.ArrayList<Object[]> journal;

    private long journalBytes;
    private boolean journalLost;
    /** The journal's limit: past it, the writes since journalBegin can no longer be undone. */
    public static final long JOURNAL_MAX_BYTES = 8L << 20;

    /**
     * A block device over {@code disk} (null: no disk attached, every command fails with
     * NO_DISK) holding {@code sizeBytes / 512} sectors. Closing the device closes the channel.
     */
    public BlockDevice(String name, FileChannel disk, long sizeBytes) {
        super(
                name,
                new Reg(SECTOR_SIZE, 4, R),
                new Reg(MAX_SECTORS, 4, R),
                new Reg(CAPACITY, 8, R),
                new Reg(SECTOR, 8, RW),
                new Reg(ADDR, 8, RW),
                new Reg(COUNT, 4, RW),
                new Reg(COMMAND, 4, W),
                new Reg(CMD_STATUS, 4, R),
                new Reg(COMPLETED, 4, R));
        this.disk = disk;
        this.capacity = disk == null ? 0 : sizeBytes / SECTOR_BYTES;
    }

    /**
     * Opens a disk-image file read-write.
     *
     * @throws IOException with a clear message if the file is missing, not a regular file, empty,
     *     or not a whole number of 512-byte sectors, or cannot be opened
     */
    public static BlockDevice open(String name, Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new IOException("disk image " + file + " does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new IOException("disk image " + file + " is not a regular file");
        }
        long size = Files.size(file);
        if (size == 0) {
            throw new IOException("disk image " + file + " is empty");
        }
        if (size % SECTOR_BYTES != 0) {
            throw new IOException("disk image " + file + " is " + size + " bytes, not a multiple of " + SECTOR_BYTES);
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException("cannot open disk image " + file + " for reading and writing: " + reason(e), e);
        }
        String busy = lockForWriting(ch);
        if (busy != null) {
            ch.close();
            throw new IOException("disk image " + file + " " + busy);
        }
        return new BlockDevice(name, ch, size);
    }

    /**
     * Takes the host's exclusive lock on a disk image opened for writing (an advisory lock, held
     * until {@code ch} closes), so that two writers (two boots, or a boot and {@code rewind disk
     * put}) never interleave their sectors. Null if taken; else why not, in words.
     */
    public static String lockForWriting(FileChannel ch) throws IOException {
        try {
            return ch.tryLock() != null
                    ? null
                    : "is in use by another process (a running 'rewind boot' or 'rewind disk' command): one writer at"
                            + " a time";
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return "is already in use by this process (another block device or command has it open)";
        }
    }

    /** Why an open failed, in words: the exception's message, never its class name. */
    private static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? "I/O error" : m;
    }

    /** A blank (zeroed) disk of {@code sizeBytes} in a temporary file deleted on close. */
    public static BlockDevice inMemory(String name, long sizeBytes) throws IOException {
        if (sizeBytes <= 0 || sizeBytes % SECTOR_BYTES != 0) {
            throw new IllegalArgumentException(
                    "disk size " + sizeBytes + " is not a positive multiple of " + SECTOR_BYTES);
        }
        Path tmp = Files.createTempFile("rewind-" + name.replaceAll("[^A-Za-z0-9_-]", "_") + "-", ".img");
        FileChannel ch = FileChannel.open(
                tmp, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
        try {
            ch.write(ByteBuffer.wrap(new byte[1]), sizeBytes - 1);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new BlockDevice(name, ch, sizeBytes);
    }

    @Override
    public int kind() {
        return KIND_BLOCK;
    }

    @Override
    public void setDma(DmaPort port) {
        this.dma = port;
    }

    /**
     * Told of the data of the commands that move any (after the command passed its checks): a
     * WRITE's just before it reaches the disk, so that whoever watches can compare it with what
     * the disk holds (it cannot stop the write); a READ's once it has reached the driver's memory.
     * A host-side facility, like the journal.
     */
    public interface Watcher {
        /** {@code len} bytes of {@code data} (whole sectors) are about to be written from {@code sector}. */
        void writing(long sector, byte[] data, int len);

        /** {@code len} bytes of {@code data} (whole sectors) were read from {@code sector}. */
        default void read(long sector, byte[] data, int len) {}
    }

    private Watcher watcher;

    /** Watch the READ and WRITE commands (null: stop watching). */
    public void setWatcher(Watcher w) {
        this.watcher = w;
    }

    /** Disk size in sectors. */
    public long capacity() {
        return capacity;
    }

    /** Commands run since power-on (failed ones included). */
    public long commandsCompleted() {
        return commands;
    }

    /**
     * Commands since power-on that failed for a reason of the device's own: IO_ERROR (the host
     * file failed) or NO_DISK. The other failures (BAD_COMMAND, OUT_OF_RANGE, DMA_FAULT) are the
     * driver's: it asked for something the device cannot do. A host-side counter, no register.
     */
    public long deviceFailures() {
        return deviceFailures;
    }

    /**
     * Reads {@code dst.length / 512} whole sectors from {@code sector} on the host side (no
     * register, no DMA, nothing counted): for whoever keeps a copy of what was written, to see
     * whether the disk still holds it. False if there is no disk, the range is not on it, or the
     * file failed.
     */
    public boolean readSectors(long sector, byte[] dst) {
        long n = dst.length / SECTOR_BYTES;
        if (disk == null
                || dst.length % SECTOR_BYTES != 0
                || sector < 0
                || sector >= capacity
                || n > capacity - sector) {
            return false;
        }
        return io(() -> {
                    ByteBuffer bb = ByteBuffer.wrap(dst);
                    long pos = sector * SECTOR_BYTES;
                    while (bb.hasRemaining()) {
                        if (disk.read(bb, pos + bb.position()) < 0) {
                            throw new IOException("disk image shorter than its capacity");
                        }
                    }
                })
                == ST_OK;
    }

    public long bytesRead() {
        return bytesRead;
    }

    public long bytesWritten() {
        return bytesWritten;
    }

    @Override
    public void close() throws IOException {
        if (disk != null) {
            disk.close();
        }
    }

    @Override
    protected int deviceStatus() {
        return disk != null ? STATUS_READY : 0;
    }

    @Override
    protected long readReg(int offset) {
        return switch (offset) {
            case SECTOR_SIZE -> SECTOR_BYTES;
            case MAX_SECTORS -> MAX_SECTORS_VALUE;
            case CAPACITY -> capacity;
            case SECTOR -> sector;
            case ADDR -> addr;
            case COUNT -> count & 0xffff_ffffL;
            case CMD_STATUS -> cmdStatus;
            case COMPLETED -> completed & 0xffff_ffffL;
            default -> throw new IllegalStateException("no register " + offset);
        };
    }

    @Override
    protected void writeReg(int offset, long value) {
        switch (offset) {
            case SECTOR -> sector = value;
            case ADDR -> addr = value;
            case COUNT -> count = (int) value;
            case COMMAND -> command(value);
            default -> throw new IllegalStateException("no register " + offset);
        }
    }

    @Override
    protected void resetDevice() {
        sector = 0;
        addr = 0;
        count = 0;
        cmdStatus = ST_NONE;
    }

    private void command(long cmd) {
        int st;
        try {
            st = execute(cmd);
        } catch (RuntimeException e) {
            log.warn("{}: internal error in command {}", name(), cmd, e);
            st = ST_IO_ERROR;
        }
        if (st == ST_BAD_COMMAND) {
            misuse(ERR_BAD_COMMAND);
        }
        cmdStatus = st;
        completed++;
        commands++;
        if (st == ST_IO_ERROR || st == ST_NO_DISK) {
            deviceFailures++;
        }
        assertIrq(CAUSE_COMPLETION);
    }

    private int execute(long cmd) {
        if (cmd != CMD_READ && cmd != CMD_WRITE && cmd != CMD_FLUSH) {
            return ST_BAD_COMMAND;
        }
        if (disk == null) {
            return ST_NO_DISK;
        }
        if (cmd == CMD_FLUSH) {
            return io(() -> disk.force(true));
        }
        long n = count & 0xffff_ffffL;
        if (n == 0 || n > MAX_SECTORS_VALUE || Long.compareUnsigned(sector, capacity) >= 0 || n > capacity - sector) {
            return ST_OUT_OF_RANGE;
        }
        int len = (int) n * SECTOR_BYTES;
        long pos = sector * SECTOR_BYTES;
        if (dma == null || Long.compareUnsigned(addr, -(long) len) > 0) {
            return ST_DMA_FAULT; // no IOMMU mapping, or the buffer wraps around the address space
        }
        if (cmd == CMD_READ) {
            int st = io(() -> readFully(pos, len));
            if (st != ST_OK) {
                return st;
            }
            if (!dma.write(addr, buffer, 0, len)) {
                return ST_DMA_FAULT;
            }
            if (watcher != null) {
                watcher.read(sector, buffer, len);
            }
            bytesRead += len;
        } else {
            if (!dma.read(addr, buffer, 0, len)) {
                return ST_DMA_FAULT;
            }
            if (watcher != null) {
                watcher.writing(sector, buffer, len);
            }
            keepPreImage(pos, len);
            int st = io(() -> writeFully(pos, len));
            if (st != ST_OK) {
                return st;
            }
            bytesWritten += len;
        }
        return ST_OK;
    }

    /**
     * Start keeping the pre-image of every sector the device writes, so that {@link
     * #journalRollback} can put them back (a write journal: whoever drives the device decides
     * what one unit of work is; the kernel's shadow of a block driver makes it one request).
     * Starting again drops what was kept.
     */
    public void journalBegin() {
        journalBegin(0, 0);
    }

    /**
     * As {@link #journalBegin()}, except for writes wholly within the {@code exemptCount}
     * sectors from {@code exemptSector}: whoever journals will write those again anyway (a
     * block request re-issued rewrites its own sectors), so they cost no pre-image read.
     */
    public void journalBegin(long exemptSector, long exemptCount) {
        journal = new java.util.ArrayList<>();
        journalBytes = 0;
        journalLost = false;
        boolean sane = exemptSector >= 0 && exemptSector <= capacity && exemptCount >= 0 && exemptCount <= capacity;
        journalExemptFrom = sane ? exemptSector : 0;
        journalExemptCount = sane ? exemptCount : 0;
    }

    private long journalExemptFrom;
    private long journalExemptCount;

    /** Keep the writes since {@link #journalBegin} and stop journaling. */
    public void journalCommit() {
        journal = null;
    }

    /**
     * Put back, newest first, what every write since {@link #journalBegin} overwrote, and stop
     * journaling. Returns the sectors restored, or -1 if they cannot be (more than
     * {@link #JOURNAL_MAX_BYTES} were written, or a pre-image could not be read) or nothing was
     * being journaled.
     */
    public int journalRollback() {
        java.util.ArrayList<Object[]> j = journal;
        journal = null;
        if (j == null || journalLost || disk == null) {
            return -1;
        }
        int sectors = 0;
        for (int i = j.size() - 1; i >= 0; i--) {
            long pos = (Long) j.get(i)[0];
            byte[] old = (byte[]) j.get(i)[1];
            if (io(() -> {
                        ByteBuffer bb = ByteBuffer.wrap(old);
                        while (bb.hasRemaining()) {
                            disk.write(bb, pos + bb.position());
                        }
                    })
                    != ST_OK) {
                return -1;
            }
            sectors += old.length / SECTOR_BYTES;
        }
        return sectors;
    }

    /** While journaling, read what a write of len bytes at pos is about to overwrite. */
    private void keepPreImage(long pos, int len) {
        if (journal == null || journalLost) {
            return;
        }
        long first = pos / SECTOR_BYTES;
        long n = len / SECTOR_BYTES;
        if (first >= journalExemptFrom && first + n <= journalExemptFrom + journalExemptCount) {
            return; // within the exempt sectors
        }
        if (journalBytes + len > JOURNAL_MAX_BYTES) {
            journalLost = true;
            return;
        }
        byte[] old = new byte[len];
        if (io(() -> {
                    ByteBuffer bb = ByteBuffer.wrap(old);
                    while (bb.hasRemaining()) {
                        if (disk.read(bb, pos + bb.position()) < 0) {
                            throw new IOException("disk image shorter than its capacity");
                        }
                    }
                })
                != ST_OK) {
            journalLost = true;
            return;
        }
        journal.add(new Object[] {pos, old});
        journalBytes += len;
    }

    private void readFully(long pos, int len) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(buffer, 0, len);
        while (bb.hasRemaining()) {
            if (disk.read(bb, pos + bb.position()) < 0) {
                throw new IOException("disk image shorter than its capacity");
            }
        }
    }

    private void writeFully(long pos, int len) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(buffer, 0, len);
        while (bb.hasRemaining()) {
            disk.write(bb, pos + bb.position());
        }
    }

    private interface IoAction {
        void run() throws IOException;
    }

    /**
     * Runs a file operation; ST_OK or ST_IO_ERROR. FileChannel closes itself if the calling
     * thread's interrupt flag is set, so the flag is held aside meanwhile and restored after.
     */
    private int io(IoAction action) {
        boolean interrupted = Thread.interrupted();
        try {
            action.run();
            return ST_OK;
        } catch (IOException e) {
            log.warn("{}: disk I/O failed: {}", name(), e.toString());
            return ST_IO_ERROR;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
