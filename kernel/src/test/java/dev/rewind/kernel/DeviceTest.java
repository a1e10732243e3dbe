package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Abi;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Devices seen from guests: register access rules, MMIO isolation, interrupts. */
class DeviceTest {
    @Test
    void registerMisuseIsAnErrorCodeAndOtherTasksCannotReachTheRegisters() throws Exception {
        GuestRun run = GuestRun.bootManifest(Fixtures.manifest("t_devices.toml"));
        assertTrue(run.hasLine("dev_probe: misuse ok"), run::toString);
        assertEquals(TaskState.EXITED, run.result.task("dev_probe").state(), run::toString);
        assertEquals(0, run.result.task("dev_probe").exitCode(), run::toString);
        assertEquals(1, run.faults.size(), run::toString);
        GuestRun.FaultEvent f = run.faults.get(0);
        assertEquals("dev_intruder", f.task());
        assertEquals(FaultKind.UNMAPPED_READ, f.fault().kind());
        assertEquals(Abi.MMIO_BASE, f.fault().address());
    }

    /**
     * The timer's interrupt reaches its owner as notification bit 0 on the device capability,
     * only while the cause is enabled; enabling a cause that is already pending raises it too.
     * The numbers are what the guest read (notification bits from rw_poll / rw_wait, cause bits
     * from IRQ_STATUS).
     */
    @Test
    void anInterruptIsANotificationOnlyWhileItIsEnabled() throws Exception {
        GuestRun run = GuestRun.bootManifest(Fixtures.manifest("t_devices.toml"));
        // Disabled: the expiry is latched in IRQ_STATUS, but no notification bit arrives.
        assertEquals(1, value(run, "dev_probe: irq disabled: .*\\bpending=(\\d+)"), run::toString);
        assertEquals(0, value(run, "dev_probe: irq disabled: .*\\bnotified=(\\d+)"), run::toString);
        // Enabling the pending cause raises the line: bit 0.
        assertEquals(1, value(run, "dev_probe: irq enabled late: notified=(\\d+)"), run::toString);
        // Enabled: the next expiry wakes rw_wait with bit 0, and the cause is pending.
        assertEquals(1, value(run, "dev_probe: irq enabled: notified=(\\d+)"), run::toString);
        assertEquals(1, value(run, "dev_probe: irq enabled: .*\\bpending=(\\d+)"), run::toString);
        assertEquals(0, run.result.task("dev_probe").exitCode(), run::toString);
    }

    /** The number the guest printed in the first console line that {@code regex} matches. */
    private static long value(GuestRun run, String regex) {
        Matcher m = Pattern.compile("(?m)^" + regex + ".*$").matcher(run.console);
        assertTrue(m.find(), () -> "no line matching " + regex + "\n" + run);
        return Long.parseLong(m.group(1));
    }
}
