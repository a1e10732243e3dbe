package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.kernel.image.Manifest;
import org.junit.jupiter.api.Test;

/**
 * The same kernel on AArch64: the guests built with {@code make ARCH=aarch64}
 * (builtin:aarch64/NAME) boot, call each other, fault and are rolled back as on RISC-V, and
 * print the same console output.
 */
class Aarch64BootTest {
    @Test
    void helloRunsOnTheCpuItsElfNames() throws Exception {
        GuestRun run = GuestRun.boot("aarch64/hello.elf");
        assertTrue(run.hasLine("hello from rewind"), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
    }

    @Test
    void ipcClientAndServerGiveTheSameConsoleAsOnRiscV() {
        GuestRun arm = GuestRun.boot("aarch64/t_ipc.toml");
        GuestRun rv = GuestRun.boot("t_ipc.toml");
        assertEquals(SystemResult.Outcome.OK, arm.result.outcome(), arm::toString);
        assertEquals(rv.console, arm.console);
    }

    @Test
    void waitAnyWorksTheSameOnAarch64() {
        GuestRun arm = GuestRun.boot("aarch64/t_waitany.toml");
        assertTrue(arm.hasLine("waitany: all ok"), arm::toString);
        assertEquals(0, arm.result.task("waitany_client").exitCode(), arm::toString);
    }

    @Test
    void aNullStoreIsTrappedAndAttributed() {
        GuestRun run = GuestRun.boot("aarch64/t_fault_null.elf");
        GuestRun.FaultEvent f = Fixtures.only(run.faults, "t_fault_null");
        assertEquals(FaultKind.UNMAPPED_WRITE, f.fault().kind(), run::toString);
        assertEquals(0, f.fault().address());
        assertTrue(f.fault().where().startsWith("main+"), f.fault().where());
    }

    @Test
    void anUndefinedInstructionIsAnIllegalInstructionAtItsPc() {
        GuestRun run = GuestRun.boot("aarch64/t_fault_illegal.elf");
        GuestRun.FaultEvent f = Fixtures.only(run.faults, "t_fault_illegal");
        assertEquals(FaultKind.ILLEGAL_INSTRUCTION, f.fault().kind(), run::toString);
        assertTrue(f.fault().where().startsWith("main+"), f.fault().where());
    }

    @Test
    void txipcRollsBackTheKvServersDirtyFaults() {
        GuestRun arm = GuestRun.boot("aarch64/t_kv_faults.toml");
        assertTrue(arm.hasLine("kv_faults: ok ops=574 recovered=6 restarts=0"), arm::toString);
        assertTrue(arm.faults.stream().allMatch(f -> f.outcome() instanceof RecoveryOutcome.RolledBack), arm::toString);
        assertEquals(GuestRun.boot("t_kv_faults.toml").console, arm.console);
    }

    @Test
    void aSystemHasOneArchitecture() throws Exception {
        String mixed = """
                name = "mixed"
                [task.a]
                image = "hello.elf"
                [task.b]
                image = "aarch64/hello.elf"
                """;
        BootException e = assertThrows(BootException.class, () -> boot(mixed));
        assertTrue(e.getMessage().contains("a system has one architecture"), e.getMessage());
        String said = """
                name = "said"
                arch = "aarch64"
                [task.a]
                image = "hello.elf"
                """;
        e = assertThrows(BootException.class, () -> boot(said));
        assertTrue(e.getMessage().contains("the manifest says arch = \"aarch64\""), e.getMessage());
    }

    @Test
    void theKernelRunsTheArchitectureTheManifestNames() throws Exception {
        Manifest m = Manifest.parse("name = \"x\"\narch = \"aarch64\"\n[task.a]\nimage = \"aarch64/hello.elf\"\n", "x");
        assertEquals("aarch64", m.arch());
        try (Kernel k = new Kernel(
                Fixtures.CONFIG,
                m,
                ImageSource.classpath(SystemImage.BUILTIN_FOLDER),
                new dev.rewind.hw.dev.Uart(new java.io.ByteArrayOutputStream()),
                null)) {
            assertEquals(Arch.AARCH64, k.arch());
            assertEquals(Arch.AARCH64, k.tasks().get(0).cpu().arch());
        }
    }

    @Test
    void aBadArchIsAManifestError() {
        Exception e = assertThrows(
                Exception.class,
                () -> Manifest.parse("name = \"x\"\narch = \"mips\"\n[task.a]\nimage = \"a.elf\"\n", "x"));
        assertTrue(e.getMessage().contains("'arch' must be one of riscv64, aarch64, not \"mips\""), e.getMessage());
    }

    private static void boot(String toml) throws Exception {
        Manifest m = Manifest.parse(toml, "test.toml");
        new Kernel(
                        Fixtures.CONFIG,
                        m,
                        ImageSource.classpath(SystemImage.BUILTIN_FOLDER),
                        new dev.rewind.hw.dev.Uart(new java.io.ByteArrayOutputStream()),
                        null)
                .close();
    }
}
