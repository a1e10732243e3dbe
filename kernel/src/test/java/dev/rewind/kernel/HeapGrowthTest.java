package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.elf.ElfImage;
import dev.rewind.kernel.image.Manifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Heap growth: a server grows its heap in small steps up to its limit under every recovery
 * policy, gets ENOMEM there, and finds every byte it wrote; images with many segments; a
 * driver's heap stops below its device registers.
 */
class HeapGrowthTest {
    private static final long MIB = 1 << 20;

    @ParameterizedTest
    @ValueSource(strings = {"none", "restart", "txipc"})
    void heapGrowsInSmallStepsUpToTheLimitThenEnomem(String policy) throws Exception {
        String toml = Fixtures.withPolicy(Fixtures.manifest("t_heap.toml"), policy);
        GuestRun run = GuestRun.bootManifest(toml);
        assertTrue(run.console.contains("heap: ok steps=2048 bytes=" + 8 * MIB + " "), run::toString);
        assertEquals(0, run.result.task("heap_client").exitCode(), run::toString);
        assertTrue(run.faults.isEmpty(), run::toString);
    }

    @Test
    void aHeapGrownInSmallStepsUntilTheRamRunsOutStaysInFewMappings() throws Exception {
        // The heap's limit (64M) is past what the 48M machine has free: its geometric runs stop
        // fitting at 32M. Growing one page a call from there used to map one region a call,
        // and past ~4,000 of them the engine's assertion aborted the JVM.
        String toml = Fixtures.withPolicy(Fixtures.manifest("t_heap.toml"), "none")
                .replace("heap = \"8M\"", "heap = \"64M\"");
        GuestRun run = GuestRun.bootManifest(toml, Fixtures.CONFIG.withRamBytes(48 * MIB));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("heap: ok steps=(\\d+) bytes=(\\d+) ")
                .matcher(run.console);
        assertTrue(m.find(), run::toString);
        long bytes = Long.parseLong(m.group(2));
        assertTrue(bytes > 40 * MIB && bytes < 48 * MIB, "grew until the RAM was full: " + run);
        assertEquals(0, run.result.task("heap_client").exitCode(), run::toString);
        assertTrue(run.faults.isEmpty(), run::toString);
    }

    @Test
    void aTxipcHeapGrowsIn64KiBStepsPastSixtyFourRegions() throws Exception {
        // As fs did under txipc with a 4M heap (issue #10): 64 sbrk steps of 64 KiB.
        String toml = Fixtures.manifest("t_heap.toml")
                .replace("heap_client.elf", "heap_client_64k.elf")
                .replace("heap = \"8M\"", "heap = \"4M\"");
        GuestRun run = GuestRun.bootManifest(toml);
        assertTrue(run.console.contains("heap: ok steps=64 bytes=" + 4 * MIB + " "), run::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "restart", "txipc"})
    void theStockFsServerFillsItsHeapWithFiles(String policy) throws Exception {
        // The issue's own reproduction: fs with a 4M heap, a client writing 80 KiB files (29 and
        // more) until the server answers ENOMEM, then reading them all back.
        GuestRun run = GuestRun.bootManifest(Fixtures.withPolicy(Fixtures.manifest("t_fs_fill.toml"), policy));
        assertTrue(run.console.contains("fs_fill: ok files="), run::toString);
        assertTrue(run.console.contains(" full=yes"), run::toString);
        assertEquals(0, run.result.task("fs_fill").exitCode(), run::toString);
        assertTrue(run.faults.isEmpty(), run::toString);
    }

    @Test
    void aTxipcServerWithManySegmentsBootsAndGrowsItsHeap() throws Exception {
        byte[] many = withExtraSegments(
                ImageSource.classpath(SystemImage.BUILTIN_FOLDER).read("heap_server.elf"), 70);
        assertTrue(ElfImage.parse(many, "many.elf").segments().size() > 64);
        ImageSource classpath = ImageSource.classpath(SystemImage.BUILTIN_FOLDER);
        ImageSource source = new ImageSource() {
            @Override
            public byte[] read(String name) throws IOException {
                return name.equals("many.elf") ? many : classpath.read(name);
            }

            @Override
            public String describe(String name) {
                return name;
            }
        };
        String toml = Fixtures.manifest("t_heap.toml").replace("heap_server.elf", "many.elf");
        GuestRun run =
                GuestRun.runWithProbe(new SystemImage(Manifest.parse(toml, "test.toml"), source, "test.toml"), null);
        assertTrue(run.console.contains("heap: ok steps=2048 bytes=" + 8 * MIB + " "), run::toString);
    }

    @Test
    void aDriversHeapStopsBelowItsRegistersWithEnomem() throws Exception {
        GuestRun run = GuestRun.bootManifest(Fixtures.manifest("t_heap_driver.toml"));
        // data at 0x3fff0000 (one page): the heap has the 15 pages up to the window at 0x40000000
        assertTrue(
                run.console.contains("heap_driver: enomem after 61440 bytes, errno ok, device id 3 kind 3"),
                run::toString);
        assertEquals(0, run.result.task("heap_driver").exitCode(), run::toString);
        assertTrue(run.faults.isEmpty(), run::toString);
    }

    @Test
    void aDriverWithASegmentOnItsRegistersDoesNotBoot() throws Exception {
        String toml = Fixtures.manifest("t_heap_driver.toml").replace("heap_driver.elf", "heap_driver_over.elf");
        BootException e = assertThrows(BootException.class, () -> GuestRun.bootManifest(toml));
        assertTrue(e.getMessage().contains("task 'heap_driver'"), e.getMessage());
        assertTrue(e.getMessage().contains("segment [0x40000000, 0x40000130)"), e.getMessage());
        assertTrue(e.getMessage().contains("device 'timer0'"), e.getMessage());
    }

    /**
     * The ELF with {@code n} more PT_LOAD segments of one page each (bss only, every other page
     * from 0x20000000), in a program header table appended at the end of the file.
     */
    static byte[] withExtraSegments(byte[] elf, int n) {
        ByteBuffer in = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        long phoff = in.getLong(0x20);
        int phentsize = in.getShort(0x36) & 0xffff;
        int phnum = in.getShort(0x38) & 0xffff;
        int at = (elf.length + 7) & -8;
        byte[] out = Arrays.copyOf(elf, at + phentsize * (phnum + n));
        ByteBuffer o = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        System.arraycopy(elf, (int) phoff, out, at, phentsize * phnum);
        for (int i = 0; i < n; i++) {
            int p = at + phentsize * (phnum + i);
            long vaddr = 0x20000000L + 0x2000L * i;
            o.putInt(p, 1); // PT_LOAD
            o.putInt(p + 4, 6 /* PF_R | PF_W */);
            o.putLong(p + 8, 0);
            o.putLong(p + 16, vaddr);
            o.putLong(p + 24, vaddr);
            o.putLong(p + 32, 0);
            o.putLong(p + 40, 0x1000);
            o.putLong(p + 48, 0x1000);
        }
        o.putLong(0x20, at);
        o.putShort(0x38, (short) (phnum + n));
        return out;
    }
}
