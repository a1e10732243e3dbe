package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.elf.ElfImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Guest faults (guest/tests/fault_pc.c) are attributed to the exact instruction, with the right
 * kind and address: a load at a function's first instruction reached cold and warm, both ebreak
 * encodings, page faults, a misaligned AMO, an mret to an odd address, a stack overflow; and an
 * abort message cannot forge Rewind's lines.
 */
class FaultPcTest {
    record Booted(GuestRun run, Fault fault, ElfImage image) {
        long sym(String name) {
            return image.symbol(name).orElseThrow();
        }
    }

    static Booted boot(String variant) throws Exception {
        return boot(variant, null);
    }

    /** Boots {@code t_fpc_VARIANT.elf} bare, or with a one-task manifest giving it {@code stack}. */
    static Booted boot(String variant, String stack) throws Exception {
        String elf = "t_fpc_" + variant + ".elf";
        GuestRun run = stack == null
                ? GuestRun.boot(elf)
                : GuestRun.bootManifest("name = \"fpc\"\n[task.t_fpc_" + variant + "]\nimage = \"" + elf
                        + "\"\nstack = \"" + stack + "\"\n");
        assertTrue(run.console.contains("fpc: ready"), run::toString);
        assertFalse(run.console.contains("fpc: survived"), run::toString);
        Fault f = Fixtures.only(run.faults, "t_fpc_" + variant).fault();
        ElfImage image = ElfImage.parse(SystemImage.builtin(elf).source().read(elf), elf);
        return new Booted(run, f, image);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"deref_warm", "deref_cold"})
    void loadInTheFirstInstructionOfAFunctionIsReportedThere(String variant) throws Exception {
        Booted b = boot(variant);
        assertEquals(FaultKind.UNMAPPED_READ, b.fault().kind(), b.fault()::toString);
        assertEquals(0x50000000L, b.fault().address());
        assertEquals(b.sym("deref"), b.fault().pc(), b.fault()::toString);
        assertEquals("deref", b.fault().where());
        assertEquals("", b.fault().detail(), "unique candidate");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ebreak", "cebreak"})
    void ebreakIsABreakpoint(String variant) throws Exception {
        Booted b = boot(variant);
        assertEquals(FaultKind.BREAKPOINT, b.fault().kind(), b.fault()::toString);
        assertTrue(b.fault().where().startsWith("main+"), b.fault()::toString);
    }

    @Test
    void misalignedAmoHasItsAddress() throws Exception {
        Booted b = boot("amo");
        assertEquals(FaultKind.MISALIGNED_ACCESS, b.fault().kind(), b.fault()::toString);
        assertEquals(b.sym("fpc_cells") + 4, b.fault().address(), b.fault()::toString);
        assertTrue(b.fault().detail().contains("AMO"), b.fault()::toString);
    }

    /**
     * Run {@code body} with CPUs that use QEMU's own TLB fill: the guest's satp paging and PMP
     * apply only there (the virtual TLB of Unicorn 2.1 serves every fill from the task's address
     * space, see docs/ARCHITECTURE.md).
     */
    static void withGuestMmu(org.junit.jupiter.api.function.Executable body) throws Throwable {
        String old = System.getProperty(dev.rewind.hw.cpu.RiscvCpu.TLB_PROPERTY);
        System.setProperty(dev.rewind.hw.cpu.RiscvCpu.TLB_PROPERTY, "cpu");
        try {
            body.execute();
        } finally {
            if (old == null) {
                System.clearProperty(dev.rewind.hw.cpu.RiscvCpu.TLB_PROPERTY);
            } else {
                System.setProperty(dev.rewind.hw.cpu.RiscvCpu.TLB_PROPERTY, old);
            }
        }
    }

    @Test
    void withTheVirtualTlbTheGuestsOwnPagingAndPmpHaveNoEffect() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.rewind.hw.cpu.RiscvCpu.virtualTlbWanted());
        for (String variant : new String[] {"page_load", "pmp_store"}) {
            GuestRun run = GuestRun.boot("t_fpc_" + variant + ".elf");
            assertTrue(run.console.contains("fpc: survived"), run::toString);
            assertTrue(run.faults.isEmpty(), run::toString);
        }
    }

    @Test
    void pageFaultsHaveTheirKindAndAddress() throws Throwable {
        withGuestMmu(FaultPcTest::pageFaults);
    }

    static void pageFaults() throws Exception {
        Booted b = boot("page_load");
        assertEquals(FaultKind.PAGE_FAULT_READ, b.fault().kind(), b.fault()::toString);
        assertEquals(b.sym("fpc_target"), b.fault().address());
        b = boot("page_store");
        assertEquals(FaultKind.PAGE_FAULT_WRITE, b.fault().kind(), b.fault()::toString);
        assertEquals(b.sym("fpc_target"), b.fault().address());
        assertTrue(b.fault().toString().startsWith("store/AMO page fault at address 0x"), b.fault()::toString);
        b = boot("page_fetch");
        assertEquals(FaultKind.PAGE_FAULT_FETCH, b.fault().kind(), b.fault()::toString);
        assertEquals(b.sym("fpc_landing"), b.fault().pc());
        assertEquals(b.sym("fpc_landing"), b.fault().address());
    }

    @Test
    void accessFaultsHaveTheirKindAndAddress() throws Throwable {
        withGuestMmu(FaultPcTest::accessFaults);
    }

    static void accessFaults() throws Exception {
        Booted b = boot("pmp_load");
        assertEquals(FaultKind.ACCESS_FAULT_READ, b.fault().kind(), b.fault()::toString);
        assertEquals(b.sym("fpc_root") + 8, b.fault().address());
        b = boot("pmp_store");
        assertEquals(FaultKind.ACCESS_FAULT_WRITE, b.fault().kind(), b.fault()::toString);
        assertEquals(b.sym("fpc_root") + 8, b.fault().address());
        b = boot("pmp_fetch");
        assertEquals(FaultKind.ACCESS_FAULT_FETCH, b.fault().kind(), b.fault()::toString);
        assertEquals(b.fault().pc(), b.fault().address());
        assertEquals(b.sym("fpc_landing") & ~0xfffL, b.fault().pc() & ~0xfffL, b.fault()::toString);
    }

    @Test
    void mretToAnOddAddressIsAMisalignedFetch() throws Exception {
        Booted b = boot("mret_odd");
        assertEquals(FaultKind.MISALIGNED_FETCH, b.fault().kind(), b.fault()::toString);
        assertEquals(b.sym("fpc_landing") + 1, b.fault().pc());
    }

    @Test
    void stackOverflowIsNamedWithTheStackSizeAndHowToRaiseIt() throws Exception {
        Booted b = boot("stack", "64K");
        assertEquals(FaultKind.STACK_OVERFLOW, b.fault().kind(), b.fault()::toString);
        String s = b.fault().toString();
        assertTrue(s.startsWith("stack overflow at address 0x"), s);
        assertTrue(s.contains("64K stack") && s.contains("stack = \"128K\""), s);
        assertTrue(b.fault().where().startsWith("recurse"), s);
    }

    /** A bare ELF has a Linux process's 8M stack (TaskSpec.ELF_STACK); its overflow is named so. */
    @Test
    void aBareElfOverflowsAnEightMegabyteStack() throws Exception {
        Booted b = boot("stack");
        assertEquals(FaultKind.STACK_OVERFLOW, b.fault().kind(), b.fault()::toString);
        String s = b.fault().toString();
        assertTrue(s.contains("8M stack (0x7f7e0000..0x7ffe0000)") && s.contains("stack = \"16M\""), s);
        // (the way to a larger stack names the task and its image, as a manifest would)
        assertTrue(s.contains("[task.") && s.contains("] image = \"") && s.contains(".elf\" stack = \"16M\""), s);
    }

    @Test
    void aFrameFarBelowTheGuardPageGetsAStackThatHoldsIt() throws Exception {
        Booted b = boot("big_frame", "64K"); // a 1 MiB frame on a 64K stack
        assertEquals(FaultKind.STACK_OVERFLOW, b.fault().kind(), b.fault()::toString);
        String s = b.fault().toString();
        var depth = java.util.regex.Pattern.compile("this access is (\\d+)K below the stack's top")
                .matcher(s);
        assertTrue(s.contains("64K stack") && depth.find(), s);
        assertTrue(Integer.parseInt(depth.group(1)) >= 1024, s);
        assertTrue(s.contains("stack = \"2M\""), "not merely twice the stack: " + s);
    }

    @Test
    void abortMessageControlCharactersAreEscaped() throws Exception {
        Booted b = boot("abort_esc");
        assertEquals(FaultKind.ABORT, b.fault().kind());
        assertEquals(
                "\\e]0;t\\x07bad\\n\\e[2Jrewind: task forged\\x07\\xff end",
                b.fault().detail());
        String line = b.fault().toString();
        assertTrue(line.chars().allMatch(c -> c >= 0x20 && c < 0x7f), line);
    }
}
