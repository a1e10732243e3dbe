package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Boots the guest test systems (guest/images/t_*.toml) and checks what they and the kernel report. */
class GuestSystemTest {

    @Test
    void demoRunsKvAndFsWorkloadsAcrossTasks() {
        GuestRun run = GuestRun.boot("demo.toml");
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
        assertTrue(run.console.contains("kv_demo: ok"), run::toString);
        assertTrue(run.console.contains("fs_demo: ok"), run::toString);
        assertTrue(run.hasLine("hello from rewind"), run::toString);
        assertTrue(run.faults.isEmpty(), run::toString);
    }

    @Test
    void tasksCannotReadOrWriteEachOthersMemory() {
        GuestRun run = GuestRun.boot("t_isolation.toml");
        Matcher m = Pattern.compile("attacker: reading 0x([0-9a-f]+)").matcher(run.console);
        assertTrue(m.find(), run::toString);
        long secret = Long.parseUnsignedLong(m.group(1), 16);

        GuestRun.FaultEvent read = only(run.faults, "attacker");
        assertEquals(FaultKind.UNMAPPED_READ, read.fault().kind(), run::toString);
        assertEquals(secret, read.fault().address());
        GuestRun.FaultEvent write = only(run.faults, "attacker_w");
        assertEquals(FaultKind.UNMAPPED_WRITE, write.fault().kind(), run::toString);
        assertEquals(secret, write.fault().address());

        assertTrue(run.hasLine("checker: secret intact"), run::toString);
        assertEquals(TaskState.RECEIVING, run.result.task("victim").state(), "the victim is untouched and still serving");
        assertEquals(0, run.result.task("victim").faults());
        assertEquals(0, run.result.task("checker").exitCode());
        // Two tasks died (policy none), so the run as a whole reports failure.
        assertEquals(SystemResult.Outcome.TASK_FAILED, run.result.outcome());
    }

    @Test
    void capabilitiesAreChecked() {
        GuestRun run = GuestRun.boot("t_caps.toml");
        assertTrue(run.hasLine("capcheck: all ok"), run::toString);
        assertFalse(run.console.contains("FAIL"), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
    }

    @Test
    void ipcMessagesInRegistersAndBuffersArriveIntact() {
        GuestRun run = GuestRun.boot("t_ipc.toml");
        for (String line : List.of("ipc: registers ok", "ipc: buffer ok", "ipc: toobig ok", "ipc: all ok")) {
            assertTrue(run.hasLine(line), () -> line + " missing\n" + run);
        }
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
    }

    @Test
    void aRunawayTaskIsPreemptedThenKilledAtItsDeadline() {
        GuestRun run = GuestRun.boot("t_preempt.toml");
        assertTrue(run.hasLine("worker: done"), run::toString);
        assertEquals(0, run.result.task("worker").exitCode());
        GuestRun.FaultEvent f = only(run.faults, "spinner");
        assertEquals(FaultKind.RUNAWAY, f.fault().kind(), run::toString);
        assertEquals(TaskState.DEAD, run.result.task("spinner").state());
        // The worker finished while the spinner still ran: preemption, not the deadline, let it through.
        int done = run.lines().indexOf("worker: done");
        assertTrue(done >= 0);
    }

    @Test
    void restartPolicyBringsAServerBackWithANewGeneration() {
        GuestRun run = GuestRun.boot("t_restart.toml");
        for (String line : List.of("restart_client: crash call -> EDEAD", "restart_client: stale cap -> EDEAD",
                "restart_client: state lost as expected", "restart_client: ok")) {
            assertTrue(run.hasLine(line), () -> line + " missing\n" + run);
        }
        assertTrue(run.console.contains("restart_client: refreshed generation 2"), run::toString);
        assertEquals(List.of("kv@2"), run.restarts);
        GuestRun.FaultEvent f = only(run.faults, "kv");
        assertEquals(FaultKind.ILLEGAL_INSTRUCTION, f.fault().kind());
        assertEquals(1, f.generation(), "the fault belongs to generation 1");
        assertTrue(f.action().contains("restarted as generation 2"), f::toString);
        assertEquals(2, run.result.task("kv").id().generation());
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
    }

    @Test
    void hostileSyscallsNeitherCrashTheKernelNorDisturbOtherTasks() {
        GuestRun run = GuestRun.boot("t_hostile.toml");
        assertTrue(run.console.contains("hostile: done 100000 calls"), run::toString);
        assertTrue(run.console.contains("kv_demo: ok"), run::toString);
        assertEquals(0, run.result.task("kv").faults(), run::toString);
        assertEquals(SystemResult.Outcome.OK, run.result.outcome(), run::toString);
    }

    @Test
    void aTimeBudgetStopsASystemThatWouldRunForever() {
        GuestRun run = GuestRun.boot("spinner.elf", KernelConfig.defaults().withBudgetNanos(300_000_000L));
        assertEquals(SystemResult.Outcome.BUDGET_EXCEEDED, run.result.outcome(), run::toString);
    }

    @Test
    void theMoreImportantTaskRunsFirst() throws Exception {
        String both = "name = \"prio\"\n[task.worker]\nimage = \"worker.elf\"\npriority = %d\n"
                + "[task.hello]\nimage = \"hello.elf\"\npriority = %d\n";
        // Equal priorities: file order, round robin.
        String same = GuestRun.bootManifest(String.format(both, 4, 4)).console;
        assertTrue(same.indexOf("worker: step 0") < same.indexOf("hello from rewind"), same);
        // hello is more important: it runs to completion before the worker starts.
        String prio = GuestRun.bootManifest(String.format(both, 6, 1)).console;
        assertTrue(prio.indexOf("hello from rewind") < prio.indexOf("worker: step 0"), prio);
    }

    static GuestRun.FaultEvent only(List<GuestRun.FaultEvent> faults, String task) {
        List<GuestRun.FaultEvent> mine = faults.stream().filter(f -> f.task().equals(task)).toList();
        assertEquals(1, mine.size(), () -> "faults of " + task + ": " + faults);
        return mine.get(0);
    }
}
