package dev.rewind.kernel.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.dev.Uart;
import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.SystemImage;
import dev.rewind.kernel.SystemResult;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * EXIT takes all 64 bits of a0: a code whose low 32 bits are 0 (0x1_0000_0000) is a failure,
 * not a clean exit, and is reported as given.
 */
class ExitCodeTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(longs = {0x1_0000_0000L, Long.MIN_VALUE, -1L, 7L, 0L})
    void theWholeExitCodeIsKept(long code) throws Exception {
        RvAsm a = new RvAsm();
        a.li(RvAsm.A0, code);
        a.liSmall(RvAsm.A7, FuzzGen.EXIT);
        a.w32(RvAsm.ECALL);
        Path elf = dir.resolve("exiter.elf");
        Files.write(elf, RvAsm.elf(a.text(), new byte[16], RvAsm.PAGE));
        SystemImage img = SystemImage.open(elf.toString());
        SystemResult r;
        try (Kernel k = new Kernel(
                KernelConfig.defaults().withBudgetNanos(30_000_000_000L),
                img.manifest(),
                img.source(),
                new Uart(new ByteArrayOutputStream()),
                null)) {
            r = k.run();
        }
        assertEquals(code, r.task("exiter").exitCode(), r::summary);
        assertEquals(code == 0 ? SystemResult.Outcome.OK : SystemResult.Outcome.TASK_FAILED, r.outcome(), r::summary);
        if (code != 0) {
            assertTrue(r.summary().contains("exiter (exit " + code + ")"), r::summary);
        }
    }
}
