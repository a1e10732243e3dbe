package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.elf.ElfImage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every fault kind is trapped, attributed to the task, and located at the right instruction. */
class FaultTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "t_fault_illegal.elf,    ILLEGAL_INSTRUCTION, -1",
        "t_fault_read.elf,       UNMAPPED_READ,       0x50000000",
        "t_fault_write.elf,      UNMAPPED_WRITE,      0x50000000",
        "t_fault_null.elf,       UNMAPPED_WRITE,      0x0",
        "t_fault_protect.elf,    PROTECTED_WRITE,     -1",
        "t_fault_exec.elf,       PROTECTED_FETCH,     -1",
        "t_fault_abort.elf,      ABORT,               -1",
        "t_fault_misaligned.elf, MISALIGNED_FETCH,    -1",
    })
    void faultIsTrappedAndAttributed(String elf, FaultKind kind, String address) throws Exception {
        GuestRun run = GuestRun.boot(elf);
        assertFalse(run.console.contains("fault: survived"), run::toString);
        String task = elf.replace(".elf", "");
        GuestRun.FaultEvent f = Fixtures.only(run.faults, task);
        assertEquals(kind, f.fault().kind(), run::toString);
        if (!address.equals("-1")) {
            assertEquals(Long.decode(address), f.fault().address(), run::toString);
        }
        assertEquals(TaskState.DEAD, run.result.task(task).state());
        assertEquals(SystemResult.Outcome.TASK_FAILED, run.result.outcome());
        assertEquals(new RecoveryOutcome.Stopped("task stopped (recovery policy none)"), f.outcome(), f::toString);

        // The PC names the faulting instruction: for data faults, an actual load or store.
        ElfImage image = ElfImage.parse(SystemImage.builtin(elf).source().read(elf), elf);
        long pc = f.fault().pc();
        assertNotNull(f.fault().where());
        if (kind == FaultKind.MISALIGNED_FETCH) {
            assertEquals(image.entry(), pc, "the odd entry point");
            assertEquals(1, pc & 1);
        } else if (kind == FaultKind.PROTECTED_FETCH) {
            assertTrue(
                    image.segments().stream().noneMatch(s -> s.exec() && s.contains(pc)),
                    "fetch from a non-executable page");
        } else {
            assertTrue(image.segments().stream().anyMatch(s -> s.exec() && s.contains(pc)), () -> "pc in code: " + f);
            assertFalse(f.fault().where().startsWith("0x"), () -> "pc has a symbol: " + f);
        }
        if (kind == FaultKind.UNMAPPED_READ || kind == FaultKind.UNMAPPED_WRITE || kind == FaultKind.PROTECTED_WRITE) {
            byte[] code = image.fileBytes();
            ElfImage.Segment text = image.segments().stream()
                    .filter(s -> s.contains(pc))
                    .findFirst()
                    .orElseThrow();
            int off = (int) (text.fileOffset() + pc - text.vaddr());
            int insn = (code[off] & 0xff) | (code[off + 1] & 0xff) << 8;
            boolean load;
            boolean store;
            if ((insn & 3) == 3) {
                int op = insn & 0x7f;
                load = op == 0x03;
                store = op == 0x23;
            } else {
                int q = insn & 3;
                int f3 = (insn >>> 13) & 7;
                load = (q == 0 || q == 2) && (f3 == 2 || f3 == 3);
                store = (q == 0 || q == 2) && (f3 == 6 || f3 == 7);
            }
            boolean wantStore = kind != FaultKind.UNMAPPED_READ;
            assertTrue(
                    wantStore ? store : load,
                    () -> String.format("instruction at 0x%x is a %s: %s", pc, wantStore ? "store" : "load", f));
        }
        if (kind == FaultKind.ABORT) {
            assertTrue(f.fault().detail().contains("1 == 2"), f::toString);
        }
    }
}
