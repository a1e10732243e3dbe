package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.SystemImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Images that collide with device registers, and heaps that meet them, seen from the CLI. */
class MemoryLimitsCliTest {
    @Test
    void aSegmentOnADevicesRegistersIsABootErrorNamingBoth(@TempDir Path dir) throws Exception {
        Files.write(
                dir.resolve("over.elf"),
                SystemImage.builtin("heap_driver_over.elf").source().read("heap_driver_over.elf"));
        Path m = dir.resolve("over.toml");
        Files.writeString(
                m,
                "name = \"over\"\n[device.timer0]\nkind = \"timer\"\n[task.drv]\nimage = \"over.elf\"\ndevices = [\"timer0\"]\n");
        CliRun.Result r = CliRun.rewind(Duration.ofSeconds(30), "boot", m.toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(
                r.err()
                        .contains(
                                "rewind: cannot boot " + m + ": task 'drv': over.elf: segment [0x40000000, 0x40000130) "
                                        + "overlaps the registers of device 'timer0' at [0x40000000, 0x40001000)"),
                r::toString);
        assertFalse(r.err().contains("Exception"), r::toString);
        assertFalse(r.err().contains("\tat "), r::toString);
    }

    @Test
    void aDriversHeapMeetingItsRegistersIsEnomem() {
        CliRun.Result r = CliRun.rewind(Duration.ofSeconds(30), "boot", "builtin:t_heap_driver.toml");
        assertEquals(0, r.status(), r::toString);
        assertTrue(
                r.out().contains("heap_driver: enomem after 61440 bytes, errno ok, device id 3 kind 3"), r::toString);
        assertFalse(r.err().contains("internal error"), r::toString);
    }
}
