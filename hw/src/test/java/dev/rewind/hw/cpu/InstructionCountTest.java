package dev.rewind.hw.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rewind.hw.mem.PhysicalMemory;
import org.junit.jupiter.api.Test;

/** {@link Cpu#countInstructions} (a native hook) counts what a Java code hook counts. */
class InstructionCountTest {
    @Test
    void theNativeCountEqualsAJavaHooksCount() {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = WriteTrackerTest.machine(ram)) {
            long[] java = {0};
            CpuHook hook = cpu.hookInstructions(1, 0, (addr, size) -> java[0]++);
            Cpu.InstructionCount count = cpu.countInstructions();
            cpu.dropCodeTranslations();
            assertEquals(Exit.ECALL, cpu.run(WriteTrackerTest.CODE));
            // 3 set-up instructions, 200 rounds of the 10-instruction loop, the ecall
            assertEquals(3 + 200 * 10 + 1, java[0]);
            assertEquals(java[0], count.count());
            count.close();
            assertEquals(Exit.ECALL, cpu.run(WriteTrackerTest.CODE));
            assertEquals(2 * 2004, java[0]);
            assertEquals(2004, count.count(), "a closed count counts no more");
            hook.close();
        }
    }
}
