package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rewind.tools.disk.Rwfs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of the CLI while the guest commits to a disk image never loses an acknowledged
 * commit and never leaves the image unmountable (issue #10: what held must stay true).
 *
 * <p>Each round starts the real CLI as a separate JVM ({@code rewind boot
 * builtin:t_disk_commits.toml --disk IMG}); the guest (guest/apps/fs_commits.c) writes
 * {@code /commits/N} and prints {@code "fs_commits: committed N"} once fs_close returned 0. After
 * a seeded number of new acknowledgements and a seeded delay the process gets SIGKILL
 * ({@code ProcessHandle.destroyForcibly()} on Linux), in the middle of the next commit. Everything it
 * printed before dying is read to the end of the pipe. Then the image must open with {@link Rwfs}
 * (a valid snapshot), every file acknowledged in this or any earlier round must be there with
 * exactly its contents, and a file never acknowledged may be absent, empty (its create committed,
 * its data not yet) or complete, never anything else. The rounds share one image, so each boot
 * also starts from an image left by a kill.
 *
 * <p>The CLI runs from this JVM's class path (the same classes {@code tools/target/rewind.jar}
 * packs: Maven builds the jar only after the tests, so a jar found here could be stale).
 */
class KillDuringCommitTest {
    private static final Pattern ACK = Pattern.compile("^fs_commits: committed (\\d+)$");
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(120);

    @TempDir
    Path dir;

    @Test
    void aFewKillsLoseNoAcknowledgedCommit() throws Exception {
        campaign(20261203L, 3);
    }

    @Tag("slow")
    @Test
    void manyKillsLoseNoAcknowledgedCommit() throws Exception {
        campaign(10L, 30);
    }

    /** Guest fs_commits' size_of(n): keep in step. */
    static int size(long n) {
        return (int) (1 + (n * 997) % 1500);
    }

    /** Guest fs_commits' byte_of(n, i): keep in step. */
    static byte byteOf(long n, long i) {
        return (byte) ((n * 31 + i * 7 + (i >> 8)) & 0xff);
    }

    static byte[] contents(long n) {
        byte[] b = new byte[size(n)];
        for (int i = 0; i < b.length; i++) {
            b[i] = byteOf(n, i);
        }
        return b;
    }

    private void campaign(long seed, int rounds) throws Exception {
        Path disk = dir.resolve("kill.img");
        Rwfs.format(disk, 8L << 20);
        Random rnd = new Random(seed);
        TreeSet<Long> acked = new TreeSet<>();
        int kills = 0;
        for (int round = 0; round < rounds; round++) {
            int wantAcks = 1 + rnd.nextInt(8);
            int delayMicros = rnd.nextInt(20_000);
            Round r = bootAndKill(disk, wantAcks, delayMicros);
            if (r.killed) {
                kills++;
            }
            acked.addAll(r.acks);
            check(
                    disk,
                    acked,
                    "seed " + seed + " round " + round + " (kill after " + wantAcks + " acks + " + delayMicros
                            + " us)\n" + r.out);
        }
        CliRun.Result ls = Fixtures.rewind("disk", "ls", disk.toString()); // the host tool reads it too
        assertEquals(0, ls.status(), ls::toString);
        if (!acked.isEmpty()) {
            assertTrue(ls.out().contains("/commits/" + acked.last()), ls::toString);
        }
        System.err.printf(
                "KillDuringCommitTest: seed %d: kills %d, acknowledged commits checked %d, lost: 0%n",
                seed, kills, acked.size());
        assertTrue(kills >= rounds - 1, "the guest finished before it was killed too often: " + kills);
    }

    private record Round(boolean killed, List<Long> acks, String out) {}

    private Round bootAndKill(Path disk, int wantAcks, int delayMicros) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "boot",
                "builtin:t_disk_commits.toml",
                "--disk",
                disk.toString());
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        List<Long> acks = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        boolean killed = false;
        long start = System.nanoTime();
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            int fresh = 0;
            while ((line = in.readLine()) != null) {
                out.append(line).append('\n');
                Matcher m = ACK.matcher(line);
                if (m.matches()) {
                    acks.add(Long.parseLong(m.group(1)));
                    if (++fresh == wantAcks && !killed) {
                        TimeUnit.MICROSECONDS.sleep(delayMicros);
                        // SIGKILL on Linux. Through the handle: Process.destroyForcibly() would also
                        // close our end of the pipe, losing lines the guest printed before it died.
                        p.toHandle().destroyForcibly();
                        killed = true;
                    }
                } else if (line.contains("FAIL")) {
                    p.destroyForcibly();
                    fail("the guest failed:\n" + out);
                }
                if (System.nanoTime() - start > DEADLINE_NANOS) {
                    p.destroyForcibly();
                    fail("no kill point within the deadline:\n" + out);
                }
            }
        } finally {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        if (!killed) {
            assertEquals(0, p.exitValue(), out::toString);
            assertTrue(out.toString().contains("fs_commits: done"), out::toString);
        }
        return new Round(killed, acks, out.toString());
    }

    private static void check(Path disk, TreeSet<Long> acked, String context) throws IOException {
        Rwfs.Snapshot s;
        try {
            s = Rwfs.open(disk);
        } catch (IOException e) {
            throw new AssertionError("the image does not mount after the kill: " + e.getMessage() + "\n" + context, e);
        }
        List<Long> lost = new ArrayList<>();
        for (long n : acked) {
            Optional<Rwfs.Entry> e = s.find("/commits/" + n);
            if (e.isEmpty()
                    || e.get().isDir()
                    || !java.util.Arrays.equals(contents(n), e.get().data())) {
                lost.add(n);
            }
        }
        assertTrue(
                lost.isEmpty(),
                () -> "acknowledged commits lost or damaged: " + lost + " of " + acked.size() + "\n" + context);
        for (Rwfs.Entry e : s.entries()) {
            if (!e.path().startsWith("/commits/")) {
                continue;
            }
            long n = Long.parseLong(e.path().substring("/commits/".length()));
            boolean ok = !e.isDir() && (e.data().length == 0 || java.util.Arrays.equals(contents(n), e.data()));
            assertTrue(ok, () -> "half-written file " + e + "\n" + context);
        }
        assertTrue(Files.size(disk) == 8L << 20, "the image changed size");
    }
}
