package dev.rewind.tools.inject;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.tools.CliRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rewind inject` on an AArch64 image: the campaign runs, says its architecture, and its result
 * file's header carries it (a header from before, without "arch", reads as riscv64).
 */
class Aarch64CampaignTest {
    @TempDir
    Path dir;

    @Test
    void aCampaignOnAnAarch64ImageNamesItsArchitecture() throws IOException {
        Path results = dir.resolve("a64.jsonl");
        CliRun.Result r = CliRun.rewind(
                Duration.ofSeconds(120),
                "inject",
                "builtin:aarch64/t_kv_oracle.toml",
                "--server",
                "kv",
                "--policy",
                "txipc",
                "-n",
                "8",
                "--seed",
                "1",
                "--jobs",
                "2",
                "--results",
                results.toString());
        assertEquals(0, r.status(), r::toString);
        assertTrue(
                r.out().startsWith("inject: builtin:aarch64/t_kv_oracle.toml (aarch64), server kv, policy txipc:"),
                r::toString);
        assertTrue(r.out().contains("\ntotal                            8          8"), r::toString);
        List<String> lines = Files.readAllLines(results, StandardCharsets.UTF_8);
        assertEquals(9, lines.size());
        ResultFile.Header h = ResultFile.read(results).header();
        assertEquals("aarch64", h.arch());
        assertEquals("builtin:aarch64/t_kv_oracle.toml", h.image());
        assertEquals(64, h.imageSha256().length());
        // every run's fault is described in A64 terms (x0..x30, sp; 4-byte instructions)
        for (String run : lines.subList(1, lines.size())) {
            assertTrue(!run.contains("-byte instruction") || run.contains("4-byte instruction"), run);
        }
        // A schema-1 header written before "arch" existed is a RISC-V campaign.
        Path old = dir.resolve("old.jsonl");
        Files.writeString(old, lines.get(0).replace("\"arch\":\"aarch64\",", "") + "\n");
        assertEquals("riscv64", ResultFile.read(old).header().arch());
    }
}
