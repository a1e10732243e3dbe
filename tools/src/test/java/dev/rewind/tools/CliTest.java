package dev.rewind.tools;

import static dev.rewind.tools.Fixtures.rewind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.tools.CliRun.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a user meets it: output, exit statuses and error messages. */
class CliTest {
    @Test
    void bootWithoutArgumentsRunsTheDemo() {
        Result r = rewind("boot");
        assertEquals(0, r.status(), r::toString);
        assertTrue(r.out().contains("kv_demo: ok"), r::toString);
        assertTrue(r.out().contains("fs_demo: ok"), r::toString);
        assertTrue(r.err().contains("all tasks finished"), r::toString);
    }

    @Test
    void exitStatusReflectsHowTheSystemEnded() {
        Result fault = rewind("boot", "builtin:t_fault_illegal.elf");
        assertEquals(1, fault.status(), fault::toString);
        assertTrue(fault.err().contains("illegal instruction"), fault::toString);
        Result timeout = rewind("boot", "--timeout", "300ms", "builtin:spinner.elf");
        assertEquals(4, timeout.status(), timeout::toString);
        assertTrue(timeout.err().contains("time budget"), timeout::toString);
    }

    @Test
    void helpExplainsUsageAndExitStatus() {
        Result r = rewind("boot", "--help");
        assertEquals(0, r.status());
        assertTrue(r.out().contains("Exit status"), r::toString);
        assertTrue(r.out().contains("--timeout"), r::toString);
        Result top = rewind("--help");
        assertTrue(
                top.out().contains("boot")
                        && top.out().contains("bench")
                        && top.out().contains("images"),
                top::toString);
    }

    @Test
    void badUsageIsExitStatus2WithAMessage() {
        Result unknown = rewind("boot", "--frobnicate");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("--frobnicate"), unknown::toString);
        Result timeout = rewind("boot", "--timeout", "soon", "builtin:hello.elf");
        assertEquals(2, timeout.status(), timeout::toString);
        assertTrue(timeout.err().contains("not a duration"), timeout::toString);
        Result missing = rewind("boot", "/nonexistent/image.toml");
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("no such image file"), missing::toString);
    }

    @Test
    void aBadManifestIsRejectedNamingTheLine(@TempDir Path dir) throws Exception {
        Path m = dir.resolve("bad.toml");
        Files.writeString(m, "name = \"x\"\n[task.a]\nimage = \"a.elf\"\nrecovery = \"sometimes\"\n");
        Result r = rewind("boot", m.toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains("bad.toml:4:"), r::toString);
        assertTrue(r.err().contains("sometimes"), r::toString);
    }

    @Test
    void malformedElfFilesGetClearErrors(@TempDir Path dir) throws Exception {
        Path garbage = dir.resolve("garbage.elf");
        Files.write(garbage, new byte[] {1, 2, 3, 4, 0, 0, 0, 0});
        Result r = rewind("boot", garbage.toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains("garbage.elf") && r.err().toLowerCase().contains("magic"), r::toString);

        byte[] hello = Fixtures.builtinBytes("hello.elf");
        Path truncated = dir.resolve("truncated.elf");
        Files.write(truncated, java.util.Arrays.copyOf(hello, 200));
        Result t = rewind("boot", truncated.toString());
        assertEquals(2, t.status(), t::toString);
        assertTrue(t.err().contains("truncated.elf"), t::toString);

        Path manifest = dir.resolve("sys.toml");
        Files.writeString(manifest, "name = \"sys\"\n[task.a]\nimage = \"truncated.elf\"\n");
        Result viaManifest = rewind("boot", manifest.toString());
        assertEquals(2, viaManifest.status(), viaManifest::toString);
        assertTrue(viaManifest.err().contains("task 'a'"), viaManifest::toString);
    }

    @Test
    void imagesListsTheBuiltIns() {
        Result r = rewind("images");
        assertEquals(0, r.status());
        assertTrue(r.out().contains("builtin:demo.toml"), r::toString);
        assertTrue(r.out().contains("builtin:hello.elf"), r::toString);
    }
}
