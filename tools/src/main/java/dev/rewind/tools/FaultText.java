package dev.rewind.tools;

import dev.rewind.kernel.Fault;
import dev.rewind.kernel.Task;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fault as the commands show it: {@link Fault#toString(String)} with the source line of the
 * faulting instruction from the image's DWARF line table (the SDK builds with -g), e.g.
 * {@code pc 0x1003a (main+0x12 at prog.c:25)}; for a fetch from where no code is, also the line
 * of the call (its return address). `rewind boot`'s fault line and `rewind test`'s reports share it.
 */
public final class FaultText {
    private FaultText() {}

    /** A fetch fault's detail naming the return address with its function (Kernel.returnAddress). */
    private static final Pattern RETURN_ADDRESS = Pattern.compile("return address 0x([0-9a-f]{1,16}) \\([^()]*\\)");

    /** {@code fault} of {@code task}, with source lines where the task's image has them. */
    public static String describe(Task task, Fault fault) {
        String text = fault.toString(task);
        Matcher ra = RETURN_ADDRESS.matcher(fault.detail() == null ? "" : fault.detail());
        if (ra.matches()) {
            long lr = Long.parseUnsignedLong(ra.group(1), 16);
            String callLine = task.image().sourceLine(lr - 1).orElse(null);
            if (callLine != null && text.endsWith(fault.detail())) {
                text = text.substring(0, text.length() - 1) + " at " + Printable.escape(callLine) + ")";
            }
        }
        return text;
    }
}
