package dev.rewind.kernel.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.GuestForward;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ManifestTest {

    static final String FULL = """
            # A demo system
            name = "demo"
            quantum_ms = 25

            [task.kv]
            image = "kv_server.elf"
            priority = 1
            stack = "128K"
            heap = 8192
            serves = ["kv"]
            uses = ["fs", "tick"]
            notifications = []
            recovery = "restart"
            runaway_ms = 500

            [task.fs]
            image = "servers/fs.elf"
            priority = 0
            stack = 16384
            heap = "2M"
            serves = ["fs", "fs-admin"]
            notifications = ["tick"]

            [task.app]
            image = "app.elf"
            uses = ["kv", "fs-admin"]
            """;

    @Test
    void parsesFullManifest() throws ManifestException {
        Manifest m = Manifest.parse(FULL, "demo.toml");
        assertEquals("demo", m.name());
        assertEquals(25, m.quantumMs());
        assertEquals(
                List.of("kv", "fs", "app"),
                m.tasks().stream().map(TaskSpec::name).toList());

        TaskSpec kv = m.tasks().get(0);
        assertEquals(
                new TaskSpec(
                        "kv",
                        "kv_server.elf",
                        1,
                        128 * 1024,
                        8192,
                        List.of("kv"),
                        List.of("fs", "tick"),
                        List.of(),
                        RecoveryPolicy.RESTART,
                        500,
                        TaskSpec.TxipcLimits.DEFAULT,
                        5),
                kv);

        TaskSpec fs = m.tasks().get(1);
        assertEquals("servers/fs.elf", fs.image());
        assertEquals(0, fs.priority());
        assertEquals(16384, fs.stackBytes());
        assertEquals(2 * 1024 * 1024, fs.heapBytes());
        assertEquals(List.of("fs", "fs-admin"), fs.serves());
        assertEquals(List.of(), fs.uses());
        assertEquals(List.of("tick"), fs.notifications());
        assertEquals(RecoveryPolicy.NONE, fs.recovery());
        assertEquals(0, fs.runawayMs());
        assertEquals(16, fs.line());

        // all defaults
        TaskSpec app = m.tasks().get(2);
        assertEquals(
                new TaskSpec(
                        "app",
                        "app.elf",
                        TaskSpec.DEFAULT_PRIORITY,
                        64 * 1024,
                        1024 * 1024,
                        List.of(),
                        List.of("kv", "fs-admin"),
                        List.of(),
                        RecoveryPolicy.NONE,
                        0,
                        TaskSpec.TxipcLimits.DEFAULT,
                        24),
                app);
        assertEquals(8, app.priority());
        assertEquals(Path.of("/sys/app.elf"), app.imagePath(Path.of("/sys")));

        assertEquals(Optional.of(fs), m.task("fs"));
        assertEquals(Optional.empty(), m.task("nope"));
        assertEquals(List.of("kv", "fs", "fs-admin"), m.endpoints());
        assertEquals(List.of("tick"), m.notifications());
        assertEquals(Optional.of(kv), m.serverOf("kv"));
        assertEquals(Optional.of(fs), m.serverOf("fs-admin"));
        assertEquals(Optional.empty(), m.serverOf("tick"));
        assertEquals(Optional.of(fs), m.ownerOfNotification("tick"));
        assertEquals(Optional.empty(), m.ownerOfNotification("kv"));
    }

    @Test
    void minimalManifestUsesDefaults() throws ManifestException {
        Manifest m = Manifest.parse("name = \"tiny\"\n[task.hello]\nimage = \"hello.elf\"\n", "tiny.toml");
        assertEquals(Manifest.DEFAULT_QUANTUM_MS, m.quantumMs());
        TaskSpec t = m.tasks().get(0);
        assertEquals(8, t.priority());
        assertEquals(65536, t.stackBytes());
        assertEquals(1048576, t.heapBytes());
        assertEquals(RecoveryPolicy.NONE, t.recovery());
        assertEquals(0, t.runawayMs());
        assertEquals(2, t.line());
        assertTrue(
                t.serves().isEmpty() && t.uses().isEmpty() && t.notifications().isEmpty());
    }

    @Test
    void txipcLimitsParseAndApplyOnlyToTxipc() throws ManifestException {
        Manifest m = Manifest.parse(
                "name = \"x\"\n[task.kv]\nimage = \"kv.elf\"\nrecovery = \"txipc\"\n"
                        + "deadline_ms = 50\nmax_aborts = 3\nabort_window_ms = 2000\nserves = [\"kv\"]\n",
                "x.toml");
        assertEquals(new TaskSpec.TxipcLimits(50, 3, 2000), m.tasks().get(0).txipc());
        ManifestException e = assertThrows(
                ManifestException.class,
                () -> Manifest.parse(
                        "name = \"x\"\n[task.kv]\nimage = \"kv.elf\"\nrecovery = \"restart\"\nmax_aborts = 3\n",
                        "x.toml"));
        assertEquals("x.toml:5: task 'kv': 'max_aborts' applies only to recovery = \"txipc\"", e.getMessage());
    }

    @Test
    void replayDepthDefaultsTo4096AndIsBounded() throws ManifestException {
        String head = "name = \"x\"\n[task.kv]\nimage = \"kv.elf\"\nrecovery = \"txipc\"\nserves = [\"kv\"]\n";
        assertEquals(4096, Manifest.parse(head, "x.toml").tasks().get(0).txipc().replayDepth());
        assertEquals(
                0,
                Manifest.parse(head + "replay_depth = 0\n", "x.toml")
                        .tasks()
                        .get(0)
                        .txipc()
                        .replayDepth());
        ManifestException e =
                assertThrows(ManifestException.class, () -> Manifest.parse(head + "replay_depth = 5000\n", "x.toml"));
        assertTrue(e.getMessage().startsWith("x.toml:6: task 'kv': 'replay_depth'"), e.getMessage());
        e = assertThrows(
                ManifestException.class,
                () -> Manifest.parse(
                        "name = \"x\"\n[task.kv]\nimage = \"kv.elf\"\nrecovery = \"restart\"\nreplay_depth = 3\n",
                        "x.toml"));
        assertEquals("x.toml:5: task 'kv': 'replay_depth' applies only to recovery = \"txipc\"", e.getMessage());
    }

    @Test
    void verifyIsDualRefusalsOrNoneAndOnlyUnderTxipc() throws ManifestException {
        String head = "name = \"x\"\n[task.kv]\nimage = \"kv.elf\"\nrecovery = \"txipc\"\nserves = [\"kv\"]\n";
        TaskSpec.TxipcLimits dflt =
                Manifest.parse(head, "x.toml").tasks().get(0).txipc();
        assertFalse(dflt.verifyDual());
        assertTrue(dflt.verifyRefusals(), "refusals are run again by default");
        TaskSpec.TxipcLimits dual = Manifest.parse(head + "verify = \"dual\"\n", "x.toml")
                .tasks()
                .get(0)
                .txipc();
        assertTrue(dual.verifyDual() && dual.verifyRefusals());
        TaskSpec.TxipcLimits refusals = Manifest.parse(head + "verify = \"refusals\"\n", "x.toml")
                .tasks()
                .get(0)
                .txipc();
        assertTrue(!refusals.verifyDual() && refusals.verifyRefusals());
        TaskSpec.TxipcLimits none = Manifest.parse(head + "verify = \"none\"\n", "x.toml")
                .tasks()
                .get(0)
                .txipc();
        assertTrue(!none.verifyDual() && !none.verifyRefusals());
        ManifestException e =
                assertThrows(ManifestException.class, () -> Manifest.parse(head + "verify = \"triple\"\n", "x.toml"));
        assertEquals(
                "x.toml:6: task 'kv': 'verify' must be \"dual\", \"errors\", \"refusals\" or \"none\", not \"triple\"",
                e.getMessage());
        e = assertThrows(
                ManifestException.class,
                () -> Manifest.parse(
                        "name = \"x\"\n[task.kv]\nimage = \"kv.elf\"\nrecovery = \"restart\"\nverify = \"dual\"\n",
                        "x.toml"));
        assertEquals("x.toml:5: task 'kv': 'verify' applies only to recovery = \"txipc\"", e.getMessage());
    }

    @Test
    void repeatableCallsIsOffByDefaultABooleanAndOnlyUnderTxipc() throws ManifestException {
        String head = "name = \"x\"\n[task.net]\nimage = \"net.elf\"\nrecovery = \"txipc\"\nserves = [\"net\"]\n";
        assertFalse(Manifest.parse(head, "x.toml").tasks().get(0).txipc().repeatableCalls());
        assertTrue(Manifest.parse(head + "repeatable_calls = true\n", "x.toml")
                .tasks()
                .get(0)
                .txipc()
                .repeatableCalls());
        ManifestException e = assertThrows(
                ManifestException.class, () -> Manifest.parse(head + "repeatable_calls = \"yes\"\n", "x.toml"));
        assertTrue(
                e.getMessage().startsWith("x.toml:6: task 'net': 'repeatable_calls' must be true or false"),
                e.getMessage());
        e = assertThrows(
                ManifestException.class,
                () -> Manifest.parse(
                        "name = \"x\"\n[task.net]\nimage = \"net.elf\"\nrecovery = \"restart\"\nrepeatable_calls = true\n",
                        "x.toml"));
        assertEquals("x.toml:5: task 'net': 'repeatable_calls' applies only to recovery = \"txipc\"", e.getMessage());
    }

    @Test
    void refusalsAreNoneByDefaultNegativeStatusesAndOnlyUnderTxipc() throws ManifestException {
        String head = "name = \"x\"\n[task.net]\nimage = \"net.elf\"\nrecovery = \"txipc\"\nserves = [\"net\"]\n";
        assertEquals(
                List.of(), Manifest.parse(head, "x.toml").tasks().get(0).txipc().refusals());
        assertEquals(
                List.of(-40L, -43L),
                Manifest.parse(head + "refusals = [-40, -43]\n", "x.toml")
                        .tasks()
                        .get(0)
                        .txipc()
                        .refusals());
        for (String bad : List.of("-40", "[0]", "[-40, 3]", "[\"EBADF\"]", "[-40, -40]", "[-3000000000]")) {
            ManifestException e = assertThrows(
                    ManifestException.class, () -> Manifest.parse(head + "refusals = " + bad + "\n", "x.toml"));
            assertTrue(e.getMessage().startsWith("x.toml:6: task 'net': 'refusals' "), bad + ": " + e.getMessage());
        }
        ManifestException e = assertThrows(
                ManifestException.class,
                () -> Manifest.parse(
                        "name = \"x\"\n[task.net]\nimage = \"net.elf\"\nrecovery = \"restart\"\nrefusals = [-40]\n",
                        "x.toml"));
        assertEquals("x.toml:5: task 'net': 'refusals' applies only to recovery = \"txipc\"", e.getMessage());
    }

    @Test
    void keepCopyIsOnByDefaultABooleanAndOnlyUnderTxipc() throws ManifestException {
        String head = "name = \"x\"\n[task.kv]\nimage = \"kv.elf\"\nrecovery = \"txipc\"\nserves = [\"kv\"]\n";
        assertTrue(Manifest.parse(head, "x.toml").tasks().get(0).txipc().keepCopy());
        assertFalse(Manifest.parse(head + "keep_copy = false\n", "x.toml")
                .tasks()
                .get(0)
                .txipc()
                .keepCopy());
        ManifestException e =
                assertThrows(ManifestException.class, () -> Manifest.parse(head + "keep_copy = 1\n", "x.toml"));
        assertTrue(e.getMessage().startsWith("x.toml:6: task 'kv': 'keep_copy' must be true or false"), e.getMessage());
        e = assertThrows(
                ManifestException.class,
                () -> Manifest.parse(
                        "name = \"x\"\n[task.kv]\nimage = \"kv.elf\"\nrecovery = \"restart\"\nkeep_copy = true\n",
                        "x.toml"));
        assertTrue(e.getMessage().contains("'keep_copy' applies only to recovery = \"txipc\""), e.getMessage());
    }

    @Test
    void scrubIsABooleanAndOnlyUnderTxipc() throws ManifestException {
        String head = "name = \"x\"\n[task.kv]\nimage = \"kv.elf\"\nrecovery = \"txipc\"\nserves = [\"kv\"]\n";
        assertFalse(Manifest.parse(head, "x.toml").tasks().get(0).txipc().scrub());
        assertTrue(Manifest.parse(head + "scrub = true\n", "x.toml")
                .tasks()
                .get(0)
                .txipc()
                .scrub());
        ManifestException e =
                assertThrows(ManifestException.class, () -> Manifest.parse(head + "scrub = \"yes\"\n", "x.toml"));
        assertEquals("x.toml:6: task 'kv': 'scrub' must be true or false, not a string (\"yes\")", e.getMessage());
        e = assertThrows(
                ManifestException.class,
                () -> Manifest.parse(
                        "name = \"x\"\n[task.kv]\nimage = \"kv.elf\"\nrecovery = \"restart\"\nscrub = true\n",
                        "x.toml"));
        assertEquals("x.toml:5: task 'kv': 'scrub' applies only to recovery = \"txipc\"", e.getMessage());
    }

    @Test
    void codeCheckIsOnByDefaultAndOnlyForTxipcAndShadow() throws ManifestException {
        String head = "name = \"x\"\n[task.kv]\nimage = \"kv.elf\"\nrecovery = \"txipc\"\nserves = [\"kv\"]\n";
        assertTrue(Manifest.parse(head, "x.toml").tasks().get(0).txipc().codeCheck());
        assertFalse(Manifest.parse(head + "code_check = false\n", "x.toml")
                .tasks()
                .get(0)
                .txipc()
                .codeCheck());
        ManifestException e =
                assertThrows(ManifestException.class, () -> Manifest.parse(head + "code_check = 1\n", "x.toml"));
        assertEquals("x.toml:6: task 'kv': 'code_check' must be true or false, not an integer (1)", e.getMessage());
        e = assertThrows(
                ManifestException.class,
                () -> Manifest.parse(
                        "name = \"x\"\n[task.kv]\nimage = \"kv.elf\"\nrecovery = \"restart\"\ncode_check = false\n",
                        "x.toml"));
        assertEquals(
                "x.toml:5: task 'kv': 'code_check' applies only to recovery = \"txipc\" or \"shadow\"", e.getMessage());
    }

    @Test
    void tasksKeepFileOrder() throws ManifestException {
        StringBuilder sb = new StringBuilder("name = \"order\"\n");
        List<String> names = List.of("zz", "aa", "mm", "b", "q9", "a-1", "x_y", "c", "k", "e");
        for (String n : names) {
            sb.append("[task.").append(n).append("]\nimage = \"").append(n).append(".elf\"\n");
        }
        Manifest m = Manifest.parse(sb.toString(), "o.toml");
        assertEquals(names, m.tasks().stream().map(TaskSpec::name).toList());
    }

    @Test
    void inlineAndDottedTablesWork() throws ManifestException {
        Manifest m = Manifest.parse("""
                name = "x"
                task.a.image = "a.elf"
                task.a.serves = ["ep"]
                task.b = { image = "b.elf", uses = ["ep"], stack = "4k", heap = 0 }
                """, "x.toml");
        assertEquals(2, m.tasks().size());
        assertEquals(4096, m.task("b").orElseThrow().stackBytes());
        assertEquals(0, m.task("b").orElseThrow().heapBytes());
        assertEquals("a", m.serverOf("ep").orElseThrow().name());
    }

    @Test
    void sizeLimitsAreInclusive() throws ManifestException {
        Manifest m = Manifest.parse("""
                name = "x"
                [task.a]
                image = "a.elf"
                stack = "16M"
                heap = "256M"
                priority = 15
                runaway_ms = 600000
                [task.b]
                image = "b.elf"
                stack = "4K"
                heap = "0"
                """, "x.toml");
        assertEquals(16L << 20, m.task("a").orElseThrow().stackBytes());
        assertEquals(256L << 20, m.task("a").orElseThrow().heapBytes());
        assertEquals(15, m.task("a").orElseThrow().priority());
        assertEquals(600_000, m.task("a").orElseThrow().runawayMs());
        assertEquals(4096, m.task("b").orElseThrow().stackBytes());
        assertEquals(0, m.task("b").orElseThrow().heapBytes());
    }

    @Test
    void endsWithNamesTasksOfTheImage() throws ManifestException {
        String tasks = "[task.stack]\nimage = \"s.elf\"\n[task.app]\nimage = \"a.elf\"\n";
        Manifest m = Manifest.parse("name = \"n\"\nends_with = [\"app\"]\n" + tasks, "n.toml");
        assertEquals(List.of("app"), m.endsWith());
        assertEquals(
                List.of(), Manifest.parse("name = \"n\"\n" + tasks, "n.toml").endsWith());
        ManifestException e = assertThrows(
                ManifestException.class,
                () -> Manifest.parse("name = \"n\"\nends_with = [\"ap\"]\n" + tasks, "n.toml"));
        assertEquals(
                "n.toml:2: 'ends_with' names 'ap', which is no task of this image; did you mean 'app'?",
                e.getMessage());
        e = assertThrows(
                ManifestException.class, () -> Manifest.parse("name = \"n\"\nends_with = \"app\"\n" + tasks, "n.toml"));
        assertTrue(e.getMessage().contains("'ends_with' must be an array of task names"), e.getMessage());
    }

    @Test
    void exactMessageFormat() {
        String text =
                "name = \"demo\"\n".repeat(1) + "\n".repeat(9) + "[task.kv]\nrecovery = \"foo\"\nimage = \"kv.elf\"\n";
        ManifestException e = assertThrows(ManifestException.class, () -> Manifest.parse(text, "demo.toml"));
        assertEquals(
                "demo.toml:12: task 'kv': unknown recovery policy 'foo' (expected one of: none, restart, txipc, shadow)",
                e.getMessage());
        assertEquals("demo.toml", e.sourceName());
        assertEquals(12, e.line());
        assertEquals(
                "task 'kv': unknown recovery policy 'foo' (expected one of: none, restart, txipc, shadow)",
                e.problem());
    }

    @Test
    void reportsTheFirstOfSeveralErrors() {
        String text = """
                name = "demo"
                [task.a]
                image = "a.elf"
                priority = 99
                stack = "12Q"
                [task.b]
                imag = "b.elf"
                """;
        ManifestException e = assertThrows(ManifestException.class, () -> Manifest.parse(text, "d.toml"));
        assertEquals(4, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("'priority' = 99"), e.getMessage());
    }

    @Test
    void loadReadsFileAndNamesIt(@TempDir Path dir) throws IOException, ManifestException {
        Path f = dir.resolve("sys.toml");
        Files.writeString(f, "name = \"sys\"\n[task.a]\nimage = \"a.elf\"\n");
        Manifest m = Manifest.load(f);
        assertEquals("sys", m.name());
        assertEquals(dir.resolve("a.elf"), m.tasks().get(0).imagePath(f.getParent()));

        Files.writeString(f, "name = \"sys\"\n[task.a]\nimage = \"/abs.elf\"\n");
        ManifestException bad = assertThrows(ManifestException.class, () -> Manifest.load(f));
        assertTrue(bad.getMessage().startsWith("sys.toml:3: "), bad.getMessage());

        ManifestException missing = assertThrows(ManifestException.class, () -> Manifest.load(dir.resolve("no.toml")));
        assertTrue(missing.getMessage().startsWith("no.toml:1: cannot read manifest"), missing.getMessage());
    }

    /** A name's length is counted in characters: 64 emoji are fine, 65 are not. */
    @Test
    void nameLengthCountsCharactersNotUtf16Units() throws ManifestException {
        String emoji = "\uD83D\uDE00";
        String task = "\n[task.hello]\nimage = \"hello.elf\"\n";
        Manifest m = Manifest.parse("name = \"" + emoji.repeat(Manifest.MAX_NAME_LENGTH) + "\"" + task, "e.toml");
        assertEquals(Manifest.MAX_NAME_LENGTH * 2, m.name().length());
        ManifestException e = assertThrows(
                ManifestException.class,
                () -> Manifest.parse("name = \"" + emoji.repeat(Manifest.MAX_NAME_LENGTH + 1) + "\"" + task, "e.toml"));
        assertTrue(e.getMessage().contains("'name' is 65 characters long (at most 64)"), e.getMessage());
    }

    @Test
    void recoveryPolicyNames() {
        assertEquals(RecoveryPolicy.NONE, RecoveryPolicy.parse("none"));
        assertEquals(RecoveryPolicy.RESTART, RecoveryPolicy.parse("restart"));
        assertEquals("restart", RecoveryPolicy.RESTART.configName());
        assertEquals("none, restart, txipc, shadow", RecoveryPolicy.allConfigNames());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> RecoveryPolicy.parse("Restart"));
        assertEquals(
                "unknown recovery policy 'Restart' (expected one of: none, restart, txipc, shadow)", e.getMessage());
    }

    // ------------------------------------------------------------------------------------------
    // Bad manifests: text, expected line, key phrase(s) of the message

    private static final String HEAD = "name = \"demo\"\n"; // line 1
    private static final String KV = "[task.kv]\nimage = \"kv.elf\"\n"; // lines +0, +1

    @Test
    void aTxipcServerMayOwnAUartOrATimer() throws ManifestException {
        Manifest m = Manifest.parse(
                HEAD + "[task.clock]\nimage = \"c.elf\"\nserves = [\"clock\"]\nrecovery = \"txipc\"\n"
                        + "devices = [\"t\", \"con\"]\n[device.t]\nkind = \"timer\"\n[device.con]\nkind = \"uart\"\n",
                "c.toml");
        assertEquals(RecoveryPolicy.TXIPC, m.task("clock").orElseThrow().recovery());
        assertEquals(List.of("t", "con"), m.task("clock").orElseThrow().devices());
    }

    @Test
    void netDevicesParse() throws ManifestException {
        Manifest m = Manifest.parse(
                HEAD + "[task.nic]\nimage = \"n.elf\"\ndevices = [\"eth0\", \"eth1\"]\n"
                        + "[device.eth0]\nkind = \"net\"\n[device.eth1]\nkind = \"net\"\nmac = \"02:AB:cd:00:00:01\"\n",
                "n.toml");
        assertEquals(
                List.of(
                        new DeviceSpec("eth0", DeviceSpec.Kind.NET, DeviceSpec.DEFAULT_DISK, 5, DeviceSpec.NO_MAC),
                        new DeviceSpec("eth1", DeviceSpec.Kind.NET, DeviceSpec.DEFAULT_DISK, 7, 0x0100_00cd_ab02L)),
                m.devices());
    }

    @Test
    void guestForwardsParse() throws ManifestException {
        Manifest m = Manifest.parse(
                HEAD + "[task.nic]\nimage = \"n.elf\"\ndevices = [\"eth0\"]\n"
                        + "[device.eth0]\nkind = \"net\"\nguestfwd = [\"tcp:10.0.2.100:7-echo\", \"10.0.2.101:9-echo\"]\n",
                "g.toml");
        DeviceSpec eth0 = m.devices().get(0);
        assertEquals(
                List.of(GuestForward.parse("tcp:10.0.2.100:7-echo"), GuestForward.parse("tcp:10.0.2.101:9-echo")),
                eth0.guestForwards());
        assertEquals(
                List.of(),
                Manifest.parse(HEAD + KV, "k.toml").devices().stream()
                        .flatMap(d -> d.guestForwards().stream())
                        .toList());
    }

    @Test
    void devicesAndShadowsParse() throws ManifestException {
        Manifest m = Manifest.parse(
                HEAD + "[task.blk]\nimage = \"b.elf\"\ndevices = [\"disk0\"]\nserves = [\"blk\"]\n"
                        + "recovery = \"shadow\"\nshadow = \"block\"\n[device.disk0]\nkind = \"block\"\nsize = \"4M\"\n"
                        + "[device.t]\nkind = \"timer\"\n[task.x]\nimage = \"x.elf\"\ndevices = [\"t\"]\n",
                "d.toml");
        assertEquals(
                List.of(
                        new DeviceSpec("disk0", DeviceSpec.Kind.BLOCK, 4L << 20, 8),
                        new DeviceSpec("t", DeviceSpec.Kind.TIMER, DeviceSpec.DEFAULT_DISK, 11)),
                m.devices());
        TaskSpec blk = m.task("blk").orElseThrow();
        assertEquals(RecoveryPolicy.SHADOW, blk.recovery());
        assertEquals(ShadowClass.BLOCK, blk.shadow());
        assertEquals(List.of("disk0"), blk.devices());
        assertEquals("x", m.ownerOfDevice("t").orElseThrow().name());
    }

    static Stream<Arguments> badManifests() {
        return Stream.of(
                bad("syntax error", HEAD + "[task.kv\nimage = \"a\"\n", 2, "TOML syntax error"),
                bad("duplicate key", HEAD + "name = \"again\"\n" + KV, 2, "TOML syntax error", "previously defined"),
                bad("missing name", KV, 1, "missing required key 'name'"),
                bad("name not a string", "name = 5\n" + KV, 1, "'name' must be a string, not an integer (5)"),
                bad("empty name", "name = \"\"\n" + KV, 1, "'name' must not be empty"),
                bad("no tasks", HEAD + "quantum_ms = 5\n", 1, "no tasks defined"),
                bad("empty task table", HEAD + "[task]\n", 2, "no tasks defined"),
                bad(
                        "the only task table misspelt",
                        HEAD + "[taks.kv]\nimage = \"kv.elf\"\n",
                        2,
                        "unknown top-level key 'taks'",
                        "did you mean 'task'?"),
                bad("task array", HEAD + "[[task]]\nimage = \"a.elf\"\n", 2, "'task' must be a table of tasks"),
                bad(
                        "unknown top-level key",
                        HEAD + "quantum = 5\n" + KV,
                        2,
                        "unknown top-level key 'quantum'",
                        "allowed keys: name, quantum_ms, task",
                        "did you mean 'quantum_ms'?"),
                bad(
                        "task key at top level",
                        HEAD + "priority = 3\n" + KV,
                        2,
                        "unknown top-level key 'priority'",
                        "belong in a [task.NAME] table"),
                bad(
                        "quantum too small",
                        HEAD + "quantum_ms = 0\n" + KV,
                        2,
                        "'quantum_ms' = 0 is out of range (allowed: 1..1000)"),
                bad("quantum too large", HEAD + "quantum_ms = 1001\n" + KV, 2, "out of range (allowed: 1..1000)"),
                bad(
                        "quantum as string",
                        HEAD + "quantum_ms = \"10\"\n" + KV,
                        2,
                        "'quantum_ms' must be an integer (1..1000), not a string (\"10\")"),
                bad(
                        "unknown task key",
                        HEAD + KV + "prio = 1\n",
                        4,
                        "task 'kv': unknown key 'prio'",
                        "allowed keys: image, priority, stack, heap, serves, uses, notifications, recovery, runaway_ms, deadline_ms, max_aborts, abort_window_ms",
                        "did you mean 'priority'?"),
                bad("task subtable", HEAD + KV + "[task.kv.extra]\nx = 1\n", 4, "task 'kv': unknown key 'extra'"),
                bad(
                        "upper-case task name",
                        HEAD + "[task.KV]\nimage = \"kv.elf\"\n",
                        2,
                        "task name 'KV' is invalid",
                        "a-z, 0-9"),
                bad(
                        "task name too long",
                        HEAD + "[task." + "a".repeat(33) + "]\nimage = \"kv.elf\"\n",
                        2,
                        "is invalid"),
                bad(
                        "task not a table",
                        HEAD + "[task]\nkv = 5\n",
                        3,
                        "task 'kv' must be a table of settings",
                        "[task.kv]"),
                bad(
                        "missing image",
                        HEAD + "\n[task.kv]\npriority = 1\n",
                        3,
                        "task 'kv': missing required key 'image'"),
                bad(
                        "image not a string",
                        HEAD + "[task.kv]\nimage = [\"a\"]\n",
                        3,
                        "'image' must be a string (a file path), not an array"),
                bad(
                        "absolute image",
                        HEAD + "[task.kv]\nimage = \"/usr/lib/kv.elf\"\n",
                        3,
                        "image path '/usr/lib/kv.elf' is absolute"),
                bad("windows absolute image", HEAD + "[task.kv]\nimage = 'C:\\kv.elf'\n", 3, "is absolute"),
                bad(
                        "image with ..",
                        HEAD + "[task.kv]\nimage = \"bin/../../kv.elf\"\n",
                        3,
                        "contains '..'",
                        "in or below the manifest's folder"),
                bad(
                        "priority too large",
                        HEAD + KV + "priority = 16\n",
                        4,
                        "task 'kv': 'priority' = 16 is out of range (allowed: 0..15)"),
                bad("negative priority", HEAD + KV + "priority = -1\n", 4, "'priority' = -1 is out of range"),
                bad(
                        "priority as string",
                        HEAD + KV + "priority = \"high\"\n",
                        4,
                        "'priority' must be an integer (0..15), not a string (\"high\")"),
                bad("priority as float", HEAD + KV + "priority = 1.0\n", 4, "not a float"),
                bad(
                        "bad size suffix",
                        HEAD + KV + "stack = \"12Q\"\n",
                        4,
                        "'stack' = \"12Q\" is not a valid size",
                        "\"64K\""),
                bad("negative size string", HEAD + KV + "stack = \"-4K\"\n", 4, "'stack' = \"-4K\" is negative"),
                bad("negative size integer", HEAD + KV + "heap = -4096\n", 4, "'heap' = -4096 is negative"),
                bad(
                        "size not multiple of 4K",
                        HEAD + KV + "stack = 5000\n",
                        4,
                        "'stack' = 5000 (5000 bytes) is not a multiple of 4K"),
                bad(
                        "size string not multiple of 4K",
                        HEAD + KV + "heap = \"6K\"\n",
                        4,
                        "'heap' = \"6K\" (6144 bytes) is not a multiple of 4K"),
                bad(
                        "stack too large",
                        HEAD + KV + "stack = \"32M\"\n",
                        4,
                        "'stack' = \"32M\" is too large (allowed: 4K..16M"),
                bad("stack too small", HEAD + KV + "stack = 0\n", 4, "'stack' = 0 is too small (allowed: 4K..16M"),
                bad("heap too large", HEAD + KV + "heap = \"257M\"\n", 4, "is too large (allowed: 0..256M"),
                bad("size overflows", HEAD + KV + "stack = \"99999999999999999999M\"\n", 4, "is too large"),
                bad("size as float", HEAD + KV + "stack = 4096.0\n", 4, "'stack' must be a size", "not a float"),
                bad(
                        "serves not an array",
                        HEAD + KV + "serves = \"kv\"\n",
                        4,
                        "'serves' must be an array of endpoint names",
                        "not a string (\"kv\")"),
                bad("serves entry not a string", HEAD + KV + "serves = [\"kv\", 7]\n", 4, "entry 2 is an integer (7)"),
                bad(
                        "bad endpoint name",
                        HEAD + KV + "serves = [\n  \"kv\",\n  \"Bad Name\",\n]\n",
                        6,
                        "endpoint name 'Bad Name' is invalid"),
                bad(
                        "duplicate list entry",
                        HEAD + KV + "uses = [\"kv\",\n \"kv\"]\nserves = [\"kv\"]\n",
                        5,
                        "'uses' lists 'kv' more than once"),
                bad(
                        "endpoint served twice",
                        HEAD + KV + "serves = [\"kv\"]\n[task.kv2]\nimage = \"b.elf\"\n" + "serves = [\"kv\"]\n",
                        7,
                        "endpoint 'kv' is served by both task 'kv' (line 4) and task 'kv2'"),
                bad(
                        "uses unknown",
                        HEAD + KV + "serves = [\"kv\"]\nuses = [\"fs\"]\n",
                        5,
                        "task 'kv': uses 'fs', which is neither an endpoint served by any task nor a notification",
                        "endpoints: kv; notifications: none"),
                bad(
                        "uses its own endpoint",
                        HEAD + KV + "serves = [\"kv\"]\nuses = [\"kv\"]\n",
                        5,
                        "task 'kv': uses 'kv', which it serves itself",
                        "cannot call its own endpoint"),
                bad(
                        "txipc on a task with nothing to serve",
                        HEAD + KV + "recovery = \"txipc\"\n",
                        4,
                        "task 'kv': recovery = \"txipc\" needs a task that serves an endpoint or owns a notification"),
                bad(
                        "uses its own notification",
                        HEAD + KV + "notifications = [\"tick\"]\nuses = [\"tick\"]\n",
                        5,
                        "task 'kv': uses 'tick', a notification it owns"),
                bad(
                        "notification owned twice",
                        HEAD + KV + "notifications = [\"tick\"]\n[task.b]\nimage = \"b.elf\"\n"
                                + "notifications = [\"tick\"]\n",
                        7,
                        "notification 'tick' is owned by both task 'kv' (line 4) and task 'b'"),
                bad(
                        "endpoint and notification share a name",
                        HEAD + KV + "serves = [\"ev\"]\n[task.b]\n" + "image = \"b.elf\"\nnotifications = [\"ev\"]\n",
                        7,
                        "'ev' is declared both as an endpoint (served by task 'kv', line 4)",
                        "as a notification (owned by task 'b', line 7)"),
                bad(
                        "unknown recovery",
                        HEAD + KV + "recovery = \"foo\"\n",
                        4,
                        "task 'kv': unknown recovery policy 'foo' (expected one of: none, restart, txipc, shadow)"),
                bad(
                        "recovery not a string",
                        HEAD + KV + "recovery = true\n",
                        4,
                        "'recovery' must be a string (one of: none, restart, txipc, shadow), not a boolean"),
                bad(
                        "runaway too large",
                        HEAD + KV + "runaway_ms = 600001\n",
                        4,
                        "'runaway_ms' = 600001 is out of range (allowed: 0..600000)"),
                bad("runaway negative", HEAD + KV + "runaway_ms = -5\n", 4, "'runaway_ms' = -5 is out of range"),
                bad(
                        "unknown device kind",
                        HEAD + KV + "devices = [\"d\"]\n[device.d]\nkind = \"disk\"\n",
                        6,
                        "device 'd': unknown device kind 'disk' (expected one of: uart, block, timer, net)"),
                bad(
                        "mac on a block device",
                        HEAD + KV + "devices = [\"d\"]\n[device.d]\nkind = \"block\"\nmac = \"52:54:00:12:34:56\"\n",
                        7,
                        "'mac' applies only to kind = \"net\""),
                bad(
                        "multicast mac",
                        HEAD + KV + "devices = [\"d\"]\n[device.d]\nkind = \"net\"\nmac = \"01:00:5e:00:00:01\"\n",
                        7,
                        "'mac' '01:00:5e:00:00:01' is a multicast address; a station address must be unicast (the first octet even)"),
                bad(
                        "short mac",
                        HEAD + KV + "devices = [\"d\"]\n[device.d]\nkind = \"net\"\nmac = \"52:54:00:12:34\"\n",
                        7,
                        "is not a MAC address (six hex octets"),
                bad(
                        "mac not hex",
                        HEAD + KV + "devices = [\"d\"]\n[device.d]\nkind = \"net\"\nmac = \"52:54:00:12:34:zz\"\n",
                        7,
                        "is not a MAC address"),
                bad(
                        "mac not a string",
                        HEAD + KV + "devices = [\"d\"]\n[device.d]\nkind = \"net\"\nmac = 5\n",
                        7,
                        "'mac' must be a string"),
                bad(
                        "guestfwd on a block device",
                        HEAD + KV
                                + "devices = [\"d\"]\n[device.d]\nkind = \"block\"\nguestfwd = [\"tcp:10.0.2.100:7-echo\"]\n",
                        7,
                        "'guestfwd' applies only to kind = \"net\""),
                bad(
                        "guestfwd not a list",
                        HEAD + KV
                                + "devices = [\"d\"]\n[device.d]\nkind = \"net\"\nguestfwd = \"tcp:10.0.2.100:7-echo\"\n",
                        7,
                        "'guestfwd' must be a list of strings"),
                bad(
                        "guestfwd entry not a string",
                        HEAD + KV + "devices = [\"d\"]\n[device.d]\nkind = \"net\"\nguestfwd = [7]\n",
                        7,
                        "'guestfwd' entries must be strings"),
                bad(
                        "guestfwd unknown service",
                        HEAD + KV
                                + "devices = [\"d\"]\n[device.d]\nkind = \"net\"\nguestfwd = [\"tcp:10.0.2.100:7-chargen\"]\n",
                        7,
                        "unknown service 'chargen' (built-in services: echo)"),
                bad(
                        "guestfwd bad port",
                        HEAD + KV
                                + "devices = [\"d\"]\n[device.d]\nkind = \"net\"\nguestfwd = [\"tcp:10.0.2.100:0-echo\"]\n",
                        7,
                        "guest port '0' is not 1..65535"),
                bad(
                        "guestfwd the host address",
                        HEAD + KV
                                + "devices = [\"d\"]\n[device.d]\nkind = \"net\"\nguestfwd = [\"tcp:10.0.2.2:7-echo\"]\n",
                        7,
                        "is the host (gateway) 10.0.2.2"),
                bad(
                        "guestfwd twice",
                        HEAD + KV
                                + "devices = [\"d\"]\n[device.d]\nkind = \"net\"\nguestfwd = [\"tcp:10.0.2.100:7-echo\", \"10.0.2.100:7-echo\"]\n",
                        7,
                        "10.0.2.100:7 is forwarded twice"),
                bad(
                        "device without kind",
                        HEAD + KV + "devices = [\"d\"]\n[device.d]\n",
                        5,
                        "device 'd': missing required key 'kind'"),
                bad(
                        "size on a timer",
                        HEAD + KV + "devices = [\"d\"]\n[device.d]\nkind = \"timer\"\nsize = \"1M\"\n",
                        7,
                        "'size' applies only to kind = \"block\""),
                bad("device without owner", HEAD + KV + "[device.d]\nkind = \"uart\"\n", 4, "device 'd' has no owner"),
                bad(
                        "device with two owners",
                        HEAD + KV + "devices = [\"d\"]\n[task.b]\nimage = \"b.elf\"\ndevices = [\"d\"]\n"
                                + "[device.d]\nkind = \"uart\"\n",
                        7,
                        "device 'd' is owned by both task 'kv' (line 4) and task 'b'"),
                bad(
                        "unknown device",
                        HEAD + KV + "devices = [\"nope\"]\n",
                        4,
                        "devices lists 'nope', which is not a device"),
                bad(
                        "txipc on a block driver",
                        HEAD + "[task.blk]\nimage = \"b.elf\"\nserves = [\"blk\"]\nrecovery = \"txipc\"\n"
                                + "devices = [\"disk0\"]\n[device.disk0]\nkind = \"block\"\n",
                        6,
                        "recovery = \"txipc\" cannot undo what block device 'disk0' did",
                        "shadow = \"block\""),
                bad(
                        "txipc on a network card's driver",
                        HEAD + "[task.nic]\nimage = \"n.elf\"\nserves = [\"nic\"]\nrecovery = \"txipc\"\n"
                                + "devices = [\"eth0\"]\n[device.eth0]\nkind = \"net\"\n",
                        6,
                        "cannot undo what net device 'eth0' did",
                        "shadow = \"net\""),
                bad(
                        "shadow without policy",
                        HEAD + KV + "serves = [\"e\"]\nshadow = \"block\"\n",
                        5,
                        "'shadow' applies only to recovery = \"shadow\""),
                bad(
                        "shadow policy without class",
                        HEAD + KV + "serves = [\"e\"]\nrecovery = \"shadow\"\n",
                        5,
                        "needs 'shadow' = \"block\" or \"char\""),
                bad(
                        "shadow of a non-server",
                        HEAD + KV + "recovery = \"shadow\"\nshadow = \"char\"\n",
                        4,
                        "the task must serve an endpoint"),
                bad(
                        "bad shadow class",
                        HEAD + KV + "serves = [\"e\"]\nrecovery = \"shadow\"\nshadow = \"tape\"\n",
                        6,
                        "unknown shadow class 'tape'"),
                bad(
                        "cross-check waits for local errors",
                        HEAD + KV + "uses = [\"nope\"]\n[task.b]\n" + "image = \"b.elf\"\npriority = 20\n",
                        7,
                        "'priority' = 20"));
    }

    private static Arguments bad(String what, String text, int line, String... phrases) {
        return Arguments.of(what, text, line, phrases);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badManifests")
    void rejectsBadManifest(String what, String text, int line, String[] phrases) {
        ManifestException e = assertThrows(
                ManifestException.class, () -> Manifest.parse(text, "demo.toml"), what + " should be rejected");
        String msg = e.getMessage();
        assertTrue(msg.startsWith("demo.toml:" + line + ": "), what + ": expected line " + line + ", got: " + msg);
        assertEquals(line, e.line(), msg);
        for (String p : phrases) {
            assertTrue(msg.contains(p), what + ": expected '" + p + "' in: " + msg);
        }
    }
}
