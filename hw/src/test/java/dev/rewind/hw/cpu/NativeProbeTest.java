package dev.rewind.hw.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rewind.hw.mem.PhysicalMemory;
import org.junit.jupiter.api.Test;

/**
 * The native probes: {@link Cpu#countInstructions} counts what a Java code hook counts, and
 * {@link Cpu#recordDataPages} records the pages a Java data hook sees.
 */
class NativeProbeTest {
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

    @Test
    void theNativePageRecordHoldsThePagesAJavaDataHookSees() {
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = WriteTrackerTest.machine(ram)) {
            java.util.TreeSet<Long> java = new java.util.TreeSet<>();
            CpuHook hook = cpu.hookData(DataHook.READS | DataHook.WRITES, 1, 0, (t, a, n, v) -> java.add(a & -4096L));
            Cpu.PageRecord record = cpu.recordDataPages();
            cpu.dropCodeTranslations();
            assertEquals(Exit.ECALL, cpu.run(WriteTrackerTest.CODE));
            // the program stores all over the 16 KiB data area, and nowhere else
            java.util.TreeSet<Long> want = new java.util.TreeSet<>();
            for (int i = 0; i < 4; i++) {
                want.add(WriteTrackerTest.DATA + 4096L * i);
            }
            assertEquals(want, java);
            java.util.TreeSet<Long> pages = new java.util.TreeSet<>();
            for (long p : record.pages()) {
                pages.add(p);
            }
            assertEquals(java, pages);
            assertEquals(false, record.full());
            record.close();
            hook.close();
        }
    }

    @Test
    void theNativeAccessLogHoldsTheAccessesAJavaDataHookSees() {
        // (what a device's register page uses instead of a Java hook: Device.mapInto)
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = WriteTrackerTest.machine(ram)) {
            long begin = WriteTrackerTest.DATA + 4096;
            long end = begin + 4095;
            java.util.List<long[]> java = new java.util.ArrayList<>();
            CpuHook hook = cpu.hookData(
                    DataHook.READS | DataHook.WRITES,
                    begin,
                    end,
                    (t, a, n, v) -> java.add(new long[] {a, n, t == DataHook.WRITE ? 1 : 0}));
            dev.rewind.hw.unicorn.Unicorn.AccessLog log = cpu.engine().logAccesses(begin, end);
            cpu.dropCodeTranslations();
            assertEquals(Exit.ECALL, cpu.run(WriteTrackerTest.CODE));
            int ring = dev.rewind.hw.unicorn.Unicorn.AccessLog.RING;
            org.junit.jupiter.api.Assertions.assertTrue(java.size() > ring, "accesses: " + java.size());
            assertEquals(java.size(), log.count());
            for (long i = log.count() - ring; i < log.count(); i++) {
                long[] want = java.get((int) i);
                assertEquals(want[0], log.address(i), "access " + i);
                assertEquals(want[1], log.size(i), "access " + i);
                assertEquals(want[2] == 1, log.isWrite(i), "access " + i);
            }
            log.close();
            hook.close();
        }
    }

    @Test
    void theNativeCountdownStopsWhereAJavaHookCallingStopDoes() {
        long javaPc;
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = WriteTrackerTest.machine(ram)) {
            long[] n = {0};
            CpuHook hook = cpu.hookInstructions(1, 0, (addr, size) -> {
                if (++n[0] == 100) {
                    cpu.stop();
                }
            });
            cpu.dropCodeTranslations();
            assertEquals(Exit.STOPPED, cpu.run(WriteTrackerTest.CODE));
            javaPc = cpu.pc();
            hook.close();
        }
        try (PhysicalMemory ram = new PhysicalMemory(1 << 20);
                RiscvCpu cpu = WriteTrackerTest.machine(ram)) {
            Cpu.Countdown c = cpu.stopAtInstruction(100);
            cpu.dropCodeTranslations();
            assertEquals(false, c.reached());
            assertEquals(Exit.STOPPED, cpu.run(WriteTrackerTest.CODE));
            assertEquals(true, c.reached());
            assertEquals(javaPc, cpu.pc());
            c.close();
        }
    }
}
