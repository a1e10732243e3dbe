package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's fast path (scripts/lib.sh, sourced by ./rewind): what it skips on a second call
 * and what makes it check, build or train again. Runs the real shell functions on a fake project
 * tree, with stand-ins for mvn, dpkg-query, apt-get and java on PATH that record their calls.
 */
class LauncherTest {
    @TempDir
    Path tmp;

    Path root;
    Path bin;
    Path calls;
    Path jar;
    Path dpkgStatus;

    @BeforeEach
    void fakeProject() throws IOException {
        root = tmp.resolve("project");
        bin = tmp.resolve("bin");
        calls = tmp.resolve("calls");
        dpkgStatus = tmp.resolve("dpkg-status");
        Files.createDirectories(bin);
        Files.writeString(calls, "");
        Files.writeString(dpkgStatus, "");
        for (String f : List.of(
                "pom.xml",
                "hw/src/main/java/A.java",
                "kernel/src/main/java/B.java",
                "tools/src/main/java/C.java",
                "guest/servers/kv.c",
                "guest/build/obj/kv.o",
                "tools/target/classes/C.class",
                "tools/target/rewind.jar")) {
            Files.createDirectories(root.resolve(f).getParent());
            Files.writeString(root.resolve(f), f);
        }
        jar = root.resolve("tools/target/rewind.jar");
        // mvn "builds" the jar; dpkg-query knows every package except those named "absent*".
        tool(
                "mvn",
                "echo mvn >> \"$CALLS\"; mkdir -p \"$REWIND_ROOT/tools/target\"; echo jar > \"$REWIND_ROOT/tools/target/rewind.jar\"");
        tool(
                "dpkg-query",
                "printf '%s\\n' \"dpkg-query $*\" >> \"$CALLS\"; for a in \"$@\"; do case \"$a\" in -*) ;; absent*) echo \"$a unknown ok not-installed\" ;;"
                        + " *) echo \"$a install ok installed\" ;; esac; done");
        tool("apt-get", "echo \"apt-get $*\" >> \"$CALLS\"; exit 1");
        // java: a training run writes its class list, a dump writes the archive (fails if $JAVA_FAILS is set).
        tool(
                "java",
                "echo \"java $*\" >> \"$CALLS\"; [ -n \"${JAVA_FAILS:-}\" ] && exit 1; for a in \"$@\"; do case \"$a\" in"
                        + " -XX:DumpLoadedClassList=*) echo \"cls ${a#*=}\" > \"${a#*=}\" ;; -XX:SharedArchiveFile=*) echo jsa > \"${a#*=}\" ;; esac; done; exit 0");
        ageAll();
    }

    private void tool(String name, String body) throws IOException {
        Path p = bin.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** Every file and folder of the fake tree an hour old (as if built long after the last edit). */
    private void ageAll() throws IOException {
        FileTime old = FileTime.from(Instant.now().minusSeconds(3600));
        try (var s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.setLastModifiedTime(p, old);
            }
        }
        Files.setLastModifiedTime(dpkgStatus, old);
    }

    /**
     * Let the clock move on: file times tick in steps of a few milliseconds, and a change made in
     * the same step as the jar would not be newer than it.
     */
    private static void pause() throws InterruptedException {
        Thread.sleep(30);
    }

    /** Set a file's time to now, clearly after what came before and before what comes next. */
    private static void touch(Path p) throws IOException, InterruptedException {
        pause();
        Files.setLastModifiedTime(p, FileTime.from(Instant.now()));
        pause();
    }

    /** The project root (the folder with scripts/lib.sh), found from the working directory up. */
    private static Path projectRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/lib.sh")) && Files.isDirectory(p.resolve("tools"))) {
                return p;
            }
        }
        throw new IllegalStateException(
                "project root not found from " + Path.of("").toAbsolutePath());
    }

    /** Run {@code script} in bash with lib.sh sourced for the fake project; returns its stdout. */
    private String lib(String script, String... env) throws Exception {
        Process p = libProcess(script, env);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bash did not finish");
        assertEquals(0, p.exitValue(), () -> "bash exited " + p.exitValue() + ":\n" + out);
        return out;
    }

    /** Start {@code script} as {@link #lib} does (stdout and stderr together), without waiting. */
    private Process libProcess(String script, String... env) throws IOException {
        Path lib = projectRoot().resolve("scripts/lib.sh");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "set -euo pipefail; . \"$LIB\"; " + script);
        pb.environment().put("LIB", lib.toString());
        pb.environment().put("REWIND_ROOT", root.toString());
        pb.environment().put("REWIND_DPKG_STATUS", dpkgStatus.toString());
        pb.environment().put("CALLS", calls.toString());
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().remove("REWIND_CDS");
        pb.environment().remove("REWIND_JAVA_OPTS");
        for (int i = 0; i + 1 < env.length; i += 2) {
            pb.environment().put(env[i], env[i + 1]);
        }
        pb.redirectErrorStream(true);
        return pb.start();
    }

    /** The stand-in tools called since the last look, one line each. */
    private List<String> calls() throws IOException {
        List<String> c = new ArrayList<>(Files.readAllLines(calls));
        Files.writeString(calls, "");
        return c;
    }

    private void assertBuilds(boolean expected, String why) throws Exception {
        lib("ensure_built");
        List<String> c = calls();
        // a build first makes sure the build packages are there (none without a build)
        boolean checked = c.removeIf(l -> l.startsWith("dpkg-query") && l.contains("gcc-riscv64-unknown-elf"));
        assertEquals(expected ? List.of("mvn") : List.of(), c, why);
        if (!expected) {
            assertFalse(checked, "no build, so no check of the build packages: " + why);
        }
        pause();
    }

    @Test
    void buildsWhenASourceChangedAndOnlyThen() throws Exception {
        Files.delete(jar);
        assertBuilds(true, "no jar yet");
        ageAll();
        touch(jar);
        assertBuilds(false, "jar newer than every source");

        touch(root.resolve("kernel/src/main/java/B.java"));
        assertBuilds(true, "a Java source edited");
        assertBuilds(false, "built since");

        pause();
        Files.writeString(root.resolve("guest/servers/kv.c"), "edited");
        assertBuilds(true, "a guest C source edited");

        touch(root.resolve("pom.xml"));
        assertBuilds(true, "the parent pom edited");

        pause();
        Files.writeString(root.resolve("tools/src/main/java/D.java"), "new");
        assertBuilds(true, "a source added");

        ageAll();
        touch(jar);
        Files.delete(root.resolve("hw/src/main/java/A.java"));
        assertBuilds(true, "a source deleted (its folder changed)");
    }

    @Test
    void twoCommandsOnAStaleTreeBuildOnce() throws Exception {
        // A build that takes a while, as Maven's does: a second command started meanwhile used to
        // run a second Maven in the same folders (one read the jar the other was writing).
        tool(
                "mvn",
                "echo \"mvn start\" >> \"$CALLS\"; sleep 1; mkdir -p \"$REWIND_ROOT/tools/target\";"
                        + " echo jar > \"$REWIND_ROOT/tools/target/rewind.jar\"; echo \"mvn end\" >> \"$CALLS\"");
        Files.delete(jar);
        List<Process> ps = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ps.add(libProcess("ensure_built"));
            Thread.sleep(200);
        }
        for (Process p : ps) {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bash did not finish");
            assertEquals(0, p.exitValue(), () -> "bash exited " + p.exitValue() + ":\n" + out);
        }
        List<String> c = calls();
        c.removeIf(l -> l.startsWith("dpkg-query"));
        assertEquals(List.of("mvn start", "mvn end"), c, "one build; the second command waited for it");
    }

    @Test
    void buildOutputsDoNotTriggerABuild() throws Exception {
        touch(jar);
        Files.writeString(root.resolve("guest/build/obj/new.o"), "o");
        touch(root.resolve("guest/build/obj/kv.o"));
        Files.writeString(root.resolve("tools/target/classes/E.class"), "c");
        Files.writeString(root.resolve("tools/target/rewind.jsa"), "jsa");
        assertBuilds(false, "only files under build/ and target/ changed");
    }

    @Test
    void packagesAreCheckedOnceUntilDpkgChanges() throws Exception {
        lib("ensure_packages pa pb");
        assertEquals(List.of("dpkg-query -W -f=${Package} ${Status}\\n pa pb"), calls(), "one query for both");
        lib("ensure_packages pa pb");
        lib("ensure_packages pb");
        assertEquals(List.of(), calls(), "recorded: no query");

        lib("ensure_packages pa pc");
        assertEquals(
                List.of("dpkg-query -W -f=${Package} ${Status}\\n pc"), calls(), "only the package not yet recorded");
        lib("ensure_packages pa pb pc");
        assertEquals(List.of(), calls());
        assertEquals(
                "pa pb pc",
                Files.readString(root.resolve("target/launcher/packages")).strip(),
                "each package once");

        touch(dpkgStatus);
        lib("ensure_packages pa");
        assertEquals(
                List.of("dpkg-query -W -f=${Package} ${Status}\\n pa"),
                calls(),
                "a package was installed or removed since");
        lib("ensure_packages pa");
        assertEquals(List.of(), calls());
    }

    @Test
    void aMissingPackageIsNeverRecorded() throws Exception {
        String out = lib("if ensure_packages pa absent1; then echo ok; else echo failed; fi");
        assertTrue(out.contains("failed"), out);
        List<String> c = calls();
        assertTrue(c.contains("dpkg-query -W -f=${Package} ${Status}\\n pa absent1"), c::toString);
        // As root the launcher tries apt-get (the stand-in fails); otherwise it prints the command.
        assertTrue(out.contains("absent1"), out);
        out = lib("if ensure_packages pa absent1; then echo ok; else echo failed; fi");
        assertTrue(out.contains("failed"), out);
        assertTrue(calls().stream().anyMatch(l -> l.startsWith("dpkg-query")), "checked again");
    }

    @Test
    void cdsArchiveIsMadeOnceAndRemadeWhenTheJarChanges() throws Exception {
        touch(jar);
        String opts = lib("ensure_cds; echo \"OPTS ${REWIND_CDS_OPTS[*]}\"");
        Path jsa = root.resolve("tools/target/rewind.jsa");
        assertTrue(opts.contains("OPTS -XX:SharedArchiveFile=" + jsa + " -Xshare:auto"), opts);
        List<String> c = calls();
        assertEquals(3, c.size(), c::toString);
        assertTrue(
                c.get(0).contains("--version")
                        && c.get(1).contains(" boot ")
                        && c.get(2).contains("-Xshare:dump"),
                c::toString);
        assertTrue(Files.isRegularFile(jsa));
        try (var s = Files.list(jsa.getParent())) {
            assertEquals(
                    List.of(),
                    s.filter(p -> p.getFileName().toString().matches("rewind\\.jsa\\.\\d+.*"))
                            .toList(),
                    "temporary files left");
        }

        opts = lib("ensure_cds; echo \"OPTS ${REWIND_CDS_OPTS[*]}\"");
        assertTrue(opts.contains("OPTS -XX:SharedArchiveFile="), opts);
        assertEquals(List.of(), calls(), "archive fresh: no training");

        pause();
        Files.writeString(jar, "rebuilt");
        lib("ensure_cds");
        assertEquals(3, calls().size(), "jar rebuilt: archive made again");

        touch(dpkgStatus);
        lib("ensure_cds");
        assertEquals(List.of(), calls(), "a package changed, not the JVM: archive kept");
        assertTrue(
                Files.getLastModifiedTime(jsa).compareTo(Files.getLastModifiedTime(dpkgStatus)) > 0,
                "and marked checked");

        touch(dpkgStatus);
        Files.writeString(bin.resolve("java"), Files.readString(bin.resolve("java")));
        pause();
        lib("ensure_cds");
        assertEquals(3, calls().size(), "the JVM was replaced: archive made again");

        opts = lib("ensure_cds; echo \"OPTS ${REWIND_CDS_OPTS[*]}.\"", "REWIND_CDS", "off");
        assertTrue(opts.contains("OPTS ."), opts);
        assertEquals(List.of(), calls());
    }

    @Test
    void aFailedCdsDumpIsNotRetriedUntilTheJarChanges() throws Exception {
        touch(jar);
        String out = lib("ensure_cds; echo \"OPTS ${REWIND_CDS_OPTS[*]}.\"", "JAVA_FAILS", "1");
        assertTrue(out.contains("OPTS ."), out);
        assertTrue(out.contains("could not make the start-up cache"), out);
        assertFalse(calls().isEmpty());
        assertFalse(Files.exists(root.resolve("tools/target/rewind.jsa")));

        out = lib("ensure_cds; echo \"OPTS ${REWIND_CDS_OPTS[*]}.\"", "JAVA_FAILS", "1");
        assertTrue(out.contains("OPTS .") && !out.contains("could not"), out);
        assertEquals(List.of(), calls(), "not retried");

        pause();
        Files.writeString(jar, "rebuilt");
        out = lib("ensure_cds; echo \"OPTS ${REWIND_CDS_OPTS[*]}.\"");
        assertTrue(out.contains("OPTS -XX:SharedArchiveFile="), out);
        assertEquals(3, calls().size());
    }
}
