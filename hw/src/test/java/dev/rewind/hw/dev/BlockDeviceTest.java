package dev.rewind.hw.dev;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DEVICES.md, "Block device (DEVICE_ID 2)". */
class BlockDeviceTest {
    static final long BUF = 0x20000;
    static final int SECTORS = 256;

    @TempDir
    Path dir;

    Path file;
    BlockDevice blk;
    final Fakes.Irq irq = new Fakes.Irq();
    final Fakes.Dma dma = new Fakes.Dma(BUF, 128 * 512 + 4096);

    @BeforeEach
    void open() throws IOException {
        file = dir.resolve("disk.img");
        byte[] init = new byte[SECTORS * 512];
        for (int i = 0; i < init.length; i++) {
            init[i] = (byte) (i / 512);
        }
        Files.write(file, init);
        blk = BlockDevice.open("disk0", file);
        blk.attach(irq);
        blk.setDma(dma);
    }

    @AfterEach
    void close() throws IOException {
        blk.close();
    }

    private int command(int cmd, long sector, long addr, int count) {
        blk.write(BlockDevice.SECTOR, 8, sector);
        blk.write(BlockDevice.ADDR, 8, addr);
        blk.write(BlockDevice.COUNT, 4, count);
        blk.write(BlockDevice.COMMAND, 4, cmd);
        return (int) blk.read(BlockDevice.CMD_STATUS, 4);
    }

    @Test
    void registers() {
        assertEquals(BlockDevice.STATUS_READY, blk.read(Device.STATUS, 4));
        assertEquals(512, blk.read(BlockDevice.SECTOR_SIZE, 4));
        assertEquals(128, blk.read(BlockDevice.MAX_SECTORS, 4));
        assertEquals(SECTORS, blk.read(BlockDevice.CAPACITY, 8));
        assertEquals(0xff, blk.read(BlockDevice.CMD_STATUS, 4));
        assertEquals(0, blk.read(BlockDevice.COMPLETED, 4));

        // 64-bit register as two 4-byte stores: takes effect on the high word.
        blk.write(BlockDevice.ADDR, 4, 0x89abcdefL);
        assertEquals(0, blk.read(BlockDevice.ADDR, 8));
        blk.write(BlockDevice.ADDR + 4, 4, 0x01234567);
        assertEquals(0x0123456789abcdefL, blk.read(BlockDevice.ADDR, 8));
        assertEquals(0x89abcdefL, blk.read(BlockDevice.ADDR, 4));
        assertEquals(0x01234567L, blk.read(BlockDevice.ADDR + 4, 4));
        // A lone high-word store keeps the low word.
        blk.write(BlockDevice.ADDR + 4, 4, 0x7);
        assertEquals(0x789abcdefL, blk.read(BlockDevice.ADDR, 8));
        blk.write(BlockDevice.SECTOR, 8, 5);
        blk.write(BlockDevice.COUNT, 4, 3);
        assertEquals(5, blk.read(BlockDevice.SECTOR, 8));
        assertEquals(3, blk.read(BlockDevice.COUNT, 4));
        assertEquals(0, blk.read(BlockDevice.COMMAND, 4));
        assertEquals(Device.ERR_READ_WO, blk.read(Device.ERROR, 4));
        blk.write(BlockDevice.CAPACITY, 8, 1);
        assertEquals(Device.ERR_WRITE_RO, blk.read(Device.ERROR, 4));
        blk.write(BlockDevice.COUNT, 8, 1);
        assertEquals(Device.ERR_BAD_WIDTH, blk.read(Device.ERROR, 4));
        assertEquals(0, blk.read(0x50, 4));
        assertEquals(Device.ERR_BAD_OFFSET, blk.read(Device.ERROR, 4));
    }

    @Test
    void writeReadFlushRoundTrip() throws IOException {
        blk.write(Device.IRQ_ENABLE, 4, 1);
        byte[] data = new byte[3 * 512];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7 + 1);
        }
        System.arraycopy(data, 0, dma.mem, 0, data.length);
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_WRITE, 10, BUF, 3));
        assertEquals(1, irq.count());
        assertEquals(1, blk.read(Device.IRQ_STATUS, 4), "completion pending when the store returns");

        // The write reached the file at once.
        byte[] disk = Files.readAllBytes(file);
        assertArrayEquals(data, Arrays.copyOfRange(disk, 10 * 512, 13 * 512));
        assertEquals(9, disk[9 * 512]);
        assertEquals(13, disk[13 * 512]);

        Arrays.fill(dma.mem, (byte) 0);
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_READ, 9, BUF + 512, 5));
        assertEquals(2, irq.count());
        assertArrayEquals(new byte[512], Arrays.copyOfRange(dma.mem, 0, 512), "nothing before the buffer");
        assertEquals(9, dma.mem[512]);
        assertArrayEquals(data, Arrays.copyOfRange(dma.mem, 1024, 1024 + data.length));
        assertEquals(13, dma.mem[512 + 4 * 512]);

        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_FLUSH, 0, 0, 0));
        assertEquals(3, blk.read(BlockDevice.COMPLETED, 4));
        assertEquals(3, blk.commandsCompleted());
        assertEquals(5 * 512, blk.bytesRead());
        assertEquals(3 * 512, blk.bytesWritten());

        // Largest command: 128 sectors, to the last sector.
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_READ, SECTORS - 128, BUF, 128));
        assertEquals((byte) (SECTORS - 1), dma.mem[127 * 512]);
    }

    @Test
    void aJournalPutsBackWhatTheWritesSinceItBeganOverwrote() throws IOException {
        byte[] before = Files.readAllBytes(file);
        Arrays.fill(dma.mem, 0, 2 * 512, (byte) 0x11);
        blk.journalBegin();
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_WRITE, 4, BUF, 2));
        Arrays.fill(dma.mem, 0, 512, (byte) 0x22);
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_WRITE, 5, BUF, 1)); // over the first
        assertFalse(Arrays.equals(before, Files.readAllBytes(file)));
        assertEquals(3, blk.journalRollback());
        assertArrayEquals(before, Files.readAllBytes(file), "newest first: as before the journal began");
        assertEquals(-1, blk.journalRollback(), "nothing is being journaled any more");

        // Writes within the exempt sectors are not journaled; others are.
        byte[] mid = Files.readAllBytes(file);
        blk.journalBegin(4, 2);
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_WRITE, 4, BUF, 2));
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_WRITE, 9, BUF, 1));
        assertEquals(1, blk.journalRollback(), "only sector 9 was journaled");
        byte[] now = Files.readAllBytes(file);
        assertArrayEquals(Arrays.copyOfRange(mid, 9 * 512, 10 * 512), Arrays.copyOfRange(now, 9 * 512, 10 * 512));
        assertEquals(0x22, now[4 * 512], "the exempt write stays (its owner writes it again)");

        blk.journalBegin();
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_WRITE, 4, BUF, 1));
        blk.journalCommit();
        assertEquals(-1, blk.journalRollback());
        assertEquals(0x22, Files.readAllBytes(file)[4 * 512], "a committed write stays");
    }

    @Test
    void theHostSideWatchesCommandsReadsSectorsAndCountsTheDevicesOwnFailures() throws IOException {
        // readSectors: whole sectors on the disk, host side (no DMA, no register, nothing counted).
        byte[] two = new byte[2 * 512];
        assertTrue(blk.readSectors(7, two));
        assertEquals(7, two[0]);
        assertEquals(8, two[512]);
        assertFalse(blk.readSectors(SECTORS - 1, two), "past the end");
        assertFalse(blk.readSectors(-1, new byte[512]));
        assertFalse(blk.readSectors(0, new byte[100]), "not whole sectors");
        assertEquals(0, blk.commandsCompleted());

        // The watcher sees a WRITE's data before it reaches the disk (the disk still holds the
        // old data then), a READ's once the driver has it, and only commands that passed their
        // checks.
        java.util.List<String> seen = new java.util.ArrayList<>();
        blk.setWatcher(new BlockDevice.Watcher() {
            @Override
            public void writing(long sector, byte[] data, int len) {
                byte[] old = new byte[512];
                blk.readSectors(sector, old);
                seen.add("write " + sector + "+" + len / 512 + ": " + data[0] + " over " + old[0]);
            }

            @Override
            public void read(long sector, byte[] data, int len) {
                seen.add("read " + sector + "+" + len / 512 + ": " + data[0] + ", " + data[512]);
            }
        });
        Arrays.fill(dma.mem, 0, 512, (byte) 0x33);
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_WRITE, 3, BUF, 1));
        assertEquals(BlockDevice.ST_OUT_OF_RANGE, command(BlockDevice.CMD_WRITE, SECTORS, BUF, 1));
        assertEquals(BlockDevice.ST_DMA_FAULT, command(BlockDevice.CMD_WRITE, 3, 0x10, 1));
        assertEquals(BlockDevice.ST_DMA_FAULT, command(BlockDevice.CMD_READ, 3, 0x10, 1));
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_READ, 3, BUF, 2));
        assertEquals(java.util.List.of("write 3+1: 51 over 3", "read 3+2: 51, 4"), seen);
        blk.setWatcher(null);
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_WRITE, 3, BUF, 1));
        assertEquals(2, seen.size());

        // None of those failures was the device's own; a disk that is not there is.
        assertEquals(0, blk.deviceFailures());
        BlockDevice none = new BlockDevice("disk1", null, 0);
        none.attach(irq);
        none.setDma(dma);
        none.write(BlockDevice.COMMAND, 4, BlockDevice.CMD_FLUSH);
        assertEquals(BlockDevice.ST_NO_DISK, none.read(BlockDevice.CMD_STATUS, 4));
        assertEquals(1, none.deviceFailures());
        assertFalse(none.readSectors(0, new byte[512]));
    }

    @Test
    void outOfRangeAndBadCommand() throws IOException {
        byte[] before = Files.readAllBytes(file);
        assertEquals(BlockDevice.ST_OUT_OF_RANGE, command(BlockDevice.CMD_READ, 0, BUF, 0));
        assertEquals(BlockDevice.ST_OUT_OF_RANGE, command(BlockDevice.CMD_WRITE, 0, BUF, 129));
        assertEquals(BlockDevice.ST_OUT_OF_RANGE, command(BlockDevice.CMD_WRITE, 0, BUF, -1));
        assertEquals(BlockDevice.ST_OUT_OF_RANGE, command(BlockDevice.CMD_WRITE, SECTORS - 1, BUF, 2));
        assertEquals(BlockDevice.ST_OUT_OF_RANGE, command(BlockDevice.CMD_READ, SECTORS, BUF, 1));
        assertEquals(BlockDevice.ST_OUT_OF_RANGE, command(BlockDevice.CMD_WRITE, -1L, BUF, 1));
        assertEquals(BlockDevice.ST_OUT_OF_RANGE, command(BlockDevice.CMD_WRITE, Long.MAX_VALUE / 256, BUF, 8));
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_READ, SECTORS - 1, BUF, 1));
        assertEquals(0, blk.read(Device.ERROR, 4), "a failed command is not register misuse");

        assertEquals(BlockDevice.ST_BAD_COMMAND, command(0, 0, BUF, 1));
        assertEquals(Device.ERR_BAD_COMMAND, blk.read(Device.ERROR, 4));
        assertEquals(BlockDevice.ST_BAD_COMMAND, command(4, 0, BUF, 1));
        assertEquals(10, blk.read(BlockDevice.COMPLETED, 4), "failed commands complete too");
        assertEquals(1, blk.read(Device.IRQ_STATUS, 4));
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void dmaFaultLeavesFileAndMemoryUnchanged() throws IOException {
        byte[] before = Files.readAllBytes(file);
        Arrays.fill(dma.mem, (byte) 0x55);
        // Buffer runs past the end of the driver's memory.
        assertEquals(BlockDevice.ST_DMA_FAULT, command(BlockDevice.CMD_WRITE, 0, BUF + dma.mem.length - 512, 2));
        assertEquals(BlockDevice.ST_DMA_FAULT, command(BlockDevice.CMD_WRITE, 0, BUF - 512, 2));
        assertEquals(BlockDevice.ST_DMA_FAULT, command(BlockDevice.CMD_WRITE, 0, -512, 2));
        assertArrayEquals(before, Files.readAllBytes(file));
        // READ into read-only memory.
        dma.readOnly = 4096;
        byte[] mem = dma.mem.clone();
        assertEquals(BlockDevice.ST_DMA_FAULT, command(BlockDevice.CMD_READ, 0, BUF, 1));
        assertArrayEquals(mem, dma.mem);
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_WRITE, 0, BUF, 1), "readable is enough for WRITE");
        // No IOMMU mapping at all.
        blk.setDma(null);
        assertEquals(BlockDevice.ST_DMA_FAULT, command(BlockDevice.CMD_READ, 0, BUF, 1));
    }

    @Test
    void ioErrorWhenTheFileFails() throws IOException {
        blk.close();
        assertEquals(BlockDevice.ST_IO_ERROR, command(BlockDevice.CMD_READ, 0, BUF, 1));
        assertEquals(BlockDevice.ST_IO_ERROR, command(BlockDevice.CMD_FLUSH, 0, 0, 0));
    }

    @Test
    void interruptFlagDoesNotCloseTheDisk() {
        Thread.currentThread().interrupt();
        try {
            assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_READ, 0, BUF, 1));
            assertTrue(Thread.currentThread().isInterrupted(), "flag restored");
        } finally {
            Thread.interrupted();
        }
        assertEquals(BlockDevice.ST_OK, command(BlockDevice.CMD_READ, 0, BUF, 1));
    }

    @Test
    void resetKeepsCompleted() {
        command(BlockDevice.CMD_READ, 3, BUF, 1);
        blk.write(Device.CONTROL, 4, 1);
        assertEquals(0xff, blk.read(BlockDevice.CMD_STATUS, 4));
        assertEquals(0, blk.read(BlockDevice.SECTOR, 8));
        assertEquals(0, blk.read(BlockDevice.ADDR, 8));
        assertEquals(0, blk.read(BlockDevice.COUNT, 4));
        assertEquals(0, blk.read(Device.IRQ_STATUS, 4));
        assertEquals(1, blk.read(BlockDevice.COMPLETED, 4));
        blk.reset();
        assertEquals(0xff, blk.read(BlockDevice.CMD_STATUS, 4));
    }

    @Test
    void noDisk() {
        BlockDevice none = new BlockDevice("disk1", null, 0);
        none.setDma(dma);
        assertEquals(0, none.read(Device.STATUS, 4));
        assertEquals(0, none.read(BlockDevice.CAPACITY, 8));
        none.write(BlockDevice.COUNT, 4, 1);
        none.write(BlockDevice.COMMAND, 4, BlockDevice.CMD_READ);
        assertEquals(BlockDevice.ST_NO_DISK, none.read(BlockDevice.CMD_STATUS, 4));
    }

    @Test
    void openRejectsBadImages() throws IOException {
        IOException e = assertThrows(IOException.class, () -> BlockDevice.open("d", dir.resolve("missing.img")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        Path empty = Files.write(dir.resolve("empty.img"), new byte[0]);
        e = assertThrows(IOException.class, () -> BlockDevice.open("d", empty));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        Path odd = Files.write(dir.resolve("odd.img"), new byte[1000]);
        e = assertThrows(IOException.class, () -> BlockDevice.open("d", odd));
        assertTrue(e.getMessage().contains("multiple of 512"), e.getMessage());
        e = assertThrows(IOException.class, () -> BlockDevice.open("d", dir));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void inMemoryDisk() throws IOException {
        try (BlockDevice mem = BlockDevice.inMemory("disk2", 8 << 20)) {
            mem.setDma(dma);
            assertEquals(16384, mem.read(BlockDevice.CAPACITY, 8));
            Arrays.fill(dma.mem, (byte) 0x5a);
            mem.write(BlockDevice.SECTOR, 8, 16383);
            mem.write(BlockDevice.ADDR, 8, BUF);
            mem.write(BlockDevice.COUNT, 4, 1);
            mem.write(BlockDevice.COMMAND, 4, BlockDevice.CMD_READ);
            assertEquals(BlockDevice.ST_OK, mem.read(BlockDevice.CMD_STATUS, 4));
            assertArrayEquals(new byte[512], Arrays.copyOf(dma.mem, 512), "blank disk reads zeros");
            Arrays.fill(dma.mem, 0, 512, (byte) 9);
            mem.write(BlockDevice.COMMAND, 4, BlockDevice.CMD_WRITE);
            Arrays.fill(dma.mem, (byte) 0);
            mem.write(BlockDevice.COMMAND, 4, BlockDevice.CMD_READ);
            assertEquals(9, dma.mem[511]);
        }
        assertThrows(IllegalArgumentException.class, () -> BlockDevice.inMemory("d", 1000));
    }
}
