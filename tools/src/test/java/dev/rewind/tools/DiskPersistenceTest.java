package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.probe.DriverKiller;
import dev.rewind.tools.disk.Rwfs;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files the guest file system writes on a disk image survive a reboot of the image, survive
 * block-driver faults during the writes, and can be read on the host without booting.
 */
class DiskPersistenceTest {
    @TempDir
    Path dir;

    @Test
    void filesSurviveRebootsThroughTheCli() throws Exception {
        Path disk = dir.resolve("persist.img");
        CliRun.Result fmt = Fixtures.rewind("disk", "format", disk.toString(), "--size", "8M");
        assertEquals(0, fmt.status(), fmt::toString);

        CliRun.Result first = Fixtures.rewind("boot", "builtin:t_disk.toml", "--disk", disk.toString());
        assertEquals(0, first.status(), first::toString);
        assertTrue(first.out().contains("fs_persist: wrote boot=1"), first::toString);

        CliRun.Result second = Fixtures.rewind("boot", "builtin:t_disk.toml", "--disk", disk.toString());
        assertEquals(0, second.status(), second::toString);
        assertTrue(second.out().contains("fs_persist: found boot=1 ok"), second::toString);
        assertTrue(second.out().contains("fs_persist: wrote boot=2"), second::toString);

        // The host tool reads what the guest wrote.
        CliRun.Result ls = Fixtures.rewind("disk", "ls", disk.toString());
        assertEquals(0, ls.status(), ls::toString);
        assertTrue(ls.out().contains("/persist/counter"), ls::toString);
        CliRun.Result cat = Fixtures.rewind("disk", "cat", disk.toString(), "/persist/counter");
        assertEquals(0, cat.status(), cat::toString);
        assertEquals(2, Long.parseLong(cat.out().strip()), cat::toString);
    }

    @Test
    void flushedDataSurvivesBlockDriverFaultsDuringTheWrites() throws Exception {
        Path disk = dir.resolve("faults.img");
        Rwfs.format(disk, 8L << 20);
        // Kill the (shadowed) block driver in the middle of the file system's snapshot writes.
        String first = boot(disk, new DriverKiller("blk", 40, 8, 20, 35, 50, 70));
        assertTrue(first.contains("fs_persist: wrote boot=1"), first);
        String second = boot(disk, null);
        assertTrue(second.contains("fs_persist: found boot=1 ok"), second);
        Rwfs.Snapshot s = Rwfs.open(disk);
        assertTrue(s.find("/persist/data").isPresent(), s::toString);
    }

    @Test
    void aDriverThatDiesMidCommitLeavesAValidImage() throws Exception {
        Path disk = dir.resolve("dies.img");
        Rwfs.format(disk, 8L << 20);
        // No recovery: the driver dies inside a snapshot write and stays dead. The file system
        // answers EIO; the image still holds a complete (older) snapshot.
        String toml = new String(
                        SystemImage.builtin("t_disk.toml").source().read("t_disk.toml"), StandardCharsets.UTF_8)
                .replace("recovery = \"shadow\"", "recovery = \"none\"")
                .replaceAll("(?m)^shadow = .*$", "");
        dev.rewind.kernel.image.Manifest m = dev.rewind.kernel.image.Manifest.parse(toml, "t_disk.toml");
        SystemImage img = SystemImage.builtin("t_disk.toml");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        KernelConfig cfg =
                KernelConfig.defaults().withBudgetNanos(30_000_000_000L).withDisk("disk0", disk);
        try (Kernel k = new Kernel(cfg, m, img.source(), new Uart(out), null)) {
            DriverKiller killer = new DriverKiller("blk", 40, 20);
            k.setProbe(killer);
            k.run();
            assertEquals(java.util.List.of(20), killer.struck());
        }
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("EIO"), out::toString);
        Rwfs.Snapshot s = Rwfs.open(disk); // throws if no valid snapshot
        assertTrue(s.sequence() >= 1, s::toString);
    }

    @Test
    void theUartReadsTheInputFile() throws Exception {
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "hello\nworld\n");
        CliRun.Result r = Fixtures.rewind("boot", "builtin:t_tty_echo.toml", "--input", in.toString());
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("echo: hello") && r.out().contains("echo: world"), r::toString);
        assertTrue(r.out().contains("tty_echo: eof bytes=12 lines=2"), r::toString);
    }

    /** Without a UART device the input file is the program's stdin (CONSOLE_READ). */
    @Test
    void aProgramReadsTheInputFileAsStdin() throws Exception {
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "hello\nlast line without a newline");
        CliRun.Result r = Fixtures.rewind("boot", "-q", "builtin:readline.elf", "--input", in.toString());
        assertEquals(0, r.status(), r::toString);
        assertEquals(
                "readline: 1: hello\nreadline: 2: last line without a newline\nreadline: 2 lines, 33 bytes\n",
                r.out(),
                r::toString);
    }

    @Test
    void diskOptionErrorsAreClear() {
        CliRun.Result missing = Fixtures.rewind(
                "boot", "builtin:t_disk.toml", "--disk", dir.resolve("nope.img").toString());
        assertEquals(Main.EXIT_USAGE, missing.status());
        assertTrue(
                missing.err().contains("no disk image at") && missing.err().contains("rewind disk format"),
                missing::toString);

        CliRun.Result noBlock = Fixtures.rewind(
                "boot", "builtin:hello.elf", "--disk", dir.resolve("nope.img").toString());
        assertEquals(Main.EXIT_USAGE, noBlock.status());
        assertTrue(noBlock.err().contains("has no block device"), noBlock::toString);
    }

    private static String boot(Path disk, DriverKiller killer) throws Exception {
        return assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            SystemImage img = SystemImage.builtin("t_disk.toml");
            KernelConfig cfg =
                    KernelConfig.defaults().withBudgetNanos(30_000_000_000L).withDisk("disk0", disk);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (Kernel k = new Kernel(cfg, img.manifest(), img.source(), new Uart(out), null)) {
                if (killer != null) {
                    k.setProbe(killer);
                }
                SystemResult r = k.run();
                String text = out.toString(StandardCharsets.UTF_8);
                assertEquals(SystemResult.Outcome.OK, r.outcome(), r.summary() + "\n" + text);
                if (killer != null) {
                    assertFalse(killer.struck().isEmpty(), "the driver was struck");
                }
                return text;
            }
        });
    }
}
