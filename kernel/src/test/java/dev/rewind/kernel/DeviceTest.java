package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Devices seen from guests: register access rules, MMIO isolation, interrupts. */
class DeviceTest {
    @Test
    void registerMisuseIsAnErrorCodeAndOtherTasksCannotReachTheRegisters() throws Exception {
        GuestRun run = GuestRun.bootManifest(TxIpcTest.manifest("t_devices.toml"));
        assertTrue(run.hasLine("dev_probe: misuse ok"), run::toString);
        assertEquals(TaskState.EXITED, run.result.task("dev_probe").state(), run::toString);
        assertEquals(0, run.result.task("dev_probe").exitCode(), run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        GuestRun.FaultEvent f = run.faults.get(0);
        assertEquals("dev_intruder", f.task());
        assertEquals(FaultKind.UNMAPPED_READ, f.fault().kind());
        assertEquals(Abi.MMIO_BASE, f.fault().address());
    }
}
