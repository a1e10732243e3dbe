package dev.rewind.tools.regress;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.kernel.SystemImage;
import java.util.List;

/**
 * One case of a suite: a system to boot and what its run must show.
 *
 * @param suite        the suite's name
 * @param name         the case's name, unique in its suite: the architecture it runs on, a
 *                     slash, and the name the suite gives it ({@code riscv64/hello})
 * @param arch         the architecture the case's image is built for
 * @param boot         the image as written in the suite file
 * @param image        the image, resolved and checked when the suite was read
 * @param tags         tags for selecting cases
 * @param timeoutNanos the case's time limit, or 0 to use the runner's default
 * @param skipReason   why the case is skipped, or null
 * @param expect       what must hold
 * @param input        the console's input ({@code input}), or null: the input is empty
 * @param wallClock    the time of day the system's WALL_CLOCK starts at ({@code wall_clock}), or
 *                     null: the host's
 * @param kills        the case's {@code kill TASK@REQUEST[:INSTRUCTION]} values (as
 *                     {@code rewind boot --kill} takes them), checked against the image
 * @param file         the suite file (or .expect file) the case was read from
 * @param line         the line of the case in {@code file}
 * @param bootImage    what {@code rewind boot} boots to run the same system (a host path or
 *                     {@code builtin:NAME}), or null if it cannot (a built-in suite's own image, a
 *                     suite's manifest whose programs for this architecture come from the built-in
 *                     images, block devices, which the case formats afresh)
 * @param inputFile    the host path of the case's {@code input} file, or null (no input, text
 *                     input, or a built-in suite's file)
 */
public record TestCase(
        String suite,
        String name,
        Arch arch,
        String boot,
        SystemImage image,
        List<String> tags,
        long timeoutNanos,
        String skipReason,
        Expectations expect,
        byte[] input,
        java.time.Instant wallClock,
        List<String> kills,
        String file,
        int line,
        String bootImage,
        String inputFile) {

    public TestCase {
        tags = List.copyOf(tags);
        kills = List.copyOf(kills);
    }

    /** {@code suite/name}. */
    public String fullName() {
        return suite + "/" + name;
    }

    /** The name the suite gives the case, without the architecture ({@code hello}). */
    public String baseName() {
        return name.substring(name.indexOf('/') + 1);
    }

    public boolean skipped() {
        return skipReason != null;
    }
}
