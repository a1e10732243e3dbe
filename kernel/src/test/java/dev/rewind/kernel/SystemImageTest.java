package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.image.Manifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening boot images: what kind of file it is, and files that must not be read at all. */
class SystemImageTest {
    private static BootException refused(String spec) {
        return assertTimeoutPreemptively(
                Duration.ofSeconds(10), () -> assertThrows(BootException.class, () -> SystemImage.open(spec)));
    }

    private static void mkfifo(Path p) throws Exception {
        assertEquals(0, new ProcessBuilder("mkfifo", p.toString()).start().waitFor());
    }

    @Test
    void emptyFilesAreEmptyNotTomlErrors(@TempDir Path dir) throws IOException {
        for (String name : new String[] {"prog.elf", "sys.toml", "noext"}) {
            Path f = Files.createFile(dir.resolve(name));
            BootException e = refused(f.toString());
            assertEquals(name + ": empty file (expected a manifest .toml or an ELF executable)", e.getMessage());
        }
    }

    @Test
    void anElfByItsNameOrMagicIsParsedAsElf(@TempDir Path dir) throws IOException {
        Path text = Files.writeString(dir.resolve("prog.elf"), "name = \"x\"\n");
        BootException e = refused(text.toString());
        assertTrue(e.getMessage().startsWith("prog.elf: not an ELF file (bad magic"), e.getMessage());

        Path elfInToml = Files.write(dir.resolve("sys.toml"), new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        BootException t = refused(elfInToml.toString());
        assertTrue(t.getMessage().contains("truncated ELF header"), t.getMessage());
    }

    @Test
    void builtinNeedsAName() {
        BootException e = refused("builtin:");
        assertEquals("builtin: needs a name; see `rewind images` (e.g. builtin:demo.toml)", e.getMessage());
        BootException near = refused("builtin:hell");
        assertEquals(
                "no built-in image 'hell'; did you mean 'builtin:hello.elf'? (see `rewind images`)", near.getMessage());
        BootException far = refused("builtin:zzzzzzzz");
        assertEquals("no built-in image 'zzzzzzzz' (see `rewind images`)", far.getMessage());
        // folders of the packaged images are not images (they read as empty files)
        for (String folder : new String[] {"builtin:aarch64", "builtin:aarch64/", "builtin:aarch64/aarch64"}) {
            BootException f = refused(folder);
            assertTrue(f.getMessage().startsWith("no built-in image '"), folder + ": " + f.getMessage());
        }
        BootException ctl = refused("builtin:a\u0000b");
        assertTrue(ctl.getMessage().contains("'a\\0b'"), ctl.getMessage());
    }

    @Test
    void specialFilesAreRefusedAtOnce(@TempDir Path dir) throws Exception {
        BootException zero = refused("/dev/zero");
        assertEquals(
                "cannot read /dev/zero: not a regular file but a character device (only regular files are read)",
                zero.getMessage());
        Path fifo = dir.resolve("img.toml");
        mkfifo(fifo);
        BootException f = refused(fifo.toString());
        assertTrue(f.getMessage().contains("not a regular file but a FIFO"), f.getMessage());
        BootException folder = refused(dir.toString());
        assertTrue(folder.getMessage().contains("a folder: name the manifest .toml in it"), folder.getMessage());
    }

    @Test
    void hugeFilesAreRefusedBeforeReading(@TempDir Path dir) throws IOException {
        Path sparse = dir.resolve("big.elf");
        try (RandomAccessFile raf = new RandomAccessFile(sparse.toFile(), "rw")) {
            raf.setLength(3L << 30); // 3 GiB, sparse
        }
        BootException e = refused(sparse.toString());
        assertEquals(
                "cannot read " + sparse + ": too large: 3221225472 bytes (the limit for a boot image is 64 MiB)",
                e.getMessage());
        Path toml = dir.resolve("big.toml");
        Files.writeString(toml, "name = \"x\"\n" + "#".repeat(2 << 20) + "\n");
        BootException t = refused(toml.toString());
        assertTrue(t.getMessage().contains("too large for a manifest"), t.getMessage());
    }

    /** Boots {@code img} and closes the kernel at once (what a bad image fails in is its boot). */
    private static void boot(SystemImage img) throws Exception {
        new Kernel(KernelConfig.defaults(), img.manifest(), img.source(), new Uart(new ByteArrayOutputStream()), null)
                .close();
    }

    @Test
    void anElfAManifestNamesThatIsMissingIsNamedOnce(@TempDir Path dir) throws Exception {
        // (it read "cannot read image /d/build/a.elf: /d/build/a.elf: file not found")
        Files.writeString(dir.resolve("sys.toml"), "name = \"sys\"\n[task.a]\nimage = \"build/a.elf\"\n");
        SystemImage img = SystemImage.open(dir.resolve("sys.toml").toString());
        BootException boot = assertThrows(BootException.class, () -> boot(img));
        assertEquals(
                "task 'a': cannot read image " + dir.resolve("build/a.elf") + ": file not found", boot.getMessage());
    }

    @Test
    void anElfAManifestNamesMustBeARegularFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("sys.toml"), "name = \"sys\"\n[task.a]\nimage = \"a.elf\"\n");
        mkfifo(dir.resolve("a.elf"));
        SystemImage img = SystemImage.open(dir.resolve("sys.toml").toString());
        IOException e = assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> assertThrows(IOException.class, () -> img.source().read("a.elf")));
        assertTrue(e.getMessage().contains("not a regular file but a FIFO"), e.getMessage());
        BootException boot = assertTimeoutPreemptively(
                Duration.ofSeconds(10), () -> assertThrows(BootException.class, () -> boot(img)));
        assertTrue(boot.getMessage().startsWith("task 'a': cannot read image "), boot.getMessage());
        assertTrue(boot.getMessage().contains("not a regular file but a FIFO"), boot.getMessage());
    }

    // ------------------------------------------------------------------------------------------
    // The task limit

    private static String manyTasks(int n, String extra) {
        StringBuilder b = new StringBuilder("name = \"many\"\n").append(extra);
        for (int i = 0; i < n; i++) {
            b.append("[task.t").append(i).append("]\nimage = \"hello.elf\"\n");
        }
        return b.toString();
    }

    @Test
    void tooManyTasksFailAtBootWithTheFigures() throws Exception {
        Manifest m = Manifest.parse(manyTasks(17, ""), "many.toml");
        KernelConfig small = KernelConfig.defaults().withRamBytes(16L << 20);
        BootException e = assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> assertThrows(
                        BootException.class,
                        () -> new Kernel(
                                        small,
                                        m,
                                        ImageSource.classpath(SystemImage.BUILTIN_FOLDER),
                                        new Uart(new ByteArrayOutputStream()),
                                        null)
                                .close()));
        assertEquals(
                "image 'many' has 17 tasks, more than the limit of 16 (the default for a machine with 16 MiB of RAM"
                        + " at 1 MiB of host memory per task); raise it with max_tasks = 17 in the manifest (at most 4096)"
                        + " or give the machine more RAM",
                e.getMessage());
    }

    @Test
    void thousandsOfTasksAreRefusedBeforeAnythingIsAllocated() throws Exception {
        Manifest m = Manifest.parse(manyTasks(5000, ""), "many.toml");
        List<String> reads = new ArrayList<>();
        ImageSource counting = new ImageSource() {
            @Override
            public byte[] read(String name) throws IOException {
                reads.add(name);
                return ImageSource.classpath(SystemImage.BUILTIN_FOLDER).read(name);
            }

            @Override
            public String describe(String name) {
                return name;
            }
        };
        BootException e = assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> assertThrows(
                        BootException.class,
                        () -> new Kernel(
                                        KernelConfig.defaults(),
                                        m,
                                        counting,
                                        new Uart(new ByteArrayOutputStream()),
                                        null)
                                .close()));
        assertTrue(e.getMessage().contains("has 5000 tasks, more than the limit of 256"), e.getMessage());
        assertTrue(e.getMessage().contains("no machine boots more than 4096 tasks"), e.getMessage());
        assertEquals(List.of(), reads, "nothing loaded");
    }

    @Test
    void maxTasksRaisesTheLimit() throws Exception {
        GuestRun run = GuestRun.bootManifest(
                manyTasks(17, "max_tasks = 17\n"),
                KernelConfig.defaults().withRamBytes(16L << 20).withBudgetNanos(60_000_000_000L));
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        assertEquals(17, run.console.split("hello from rewind", -1).length - 1, run::toString);
    }
}
