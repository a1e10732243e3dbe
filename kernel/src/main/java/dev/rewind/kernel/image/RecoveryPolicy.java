package dev.rewind.kernel.image;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What the kernel does when a task faults. Spelled in lower case in the manifest ({@code recovery =
 * "restart"}); to add a policy, add a constant here, its manifest name is derived from the constant.
 */
public enum RecoveryPolicy {
    /** The task stays dead; its clients get an error. */
    NONE,
    /** The task is restarted from its initial image. */
    RESTART,
    /**
     * Every request the server handles is a transaction: a fault while handling one rolls back
     * the server's memory and registers to where it waited for the request, the client gets
     * ERECOVERED, and the server takes the next request. Faults outside a request restart it.
     */
    TXIPC,
    /**
     * For drivers: a shadow driver in the kernel taps the driver's requests and replies; when
     * the driver faults it restarts it, resets its devices, replays the requests that built
     * its state, re-issues the request in flight and releases the requests held meanwhile, so
     * clients see only a delay. Needs {@code shadow = "block"} or {@code "char"}.
     */
    SHADOW;

    /** The name used in manifests and messages, e.g. {@code "restart"}. */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** All manifest names, comma separated: {@code "none, restart"}. */
    public static String allConfigNames() {
        return Arrays.stream(values()).map(RecoveryPolicy::configName).collect(Collectors.joining(", "));
    }

    /**
     * The policy with manifest name {@code text} (exact, lower case).
     *
     * @throws IllegalArgumentException with a message such as {@code "unknown recovery policy 'foo'
     *     (expected one of: none, restart)"}
     */
    public static RecoveryPolicy parse(String text) {
        for (RecoveryPolicy p : values()) {
            if (p.configName().equals(text)) {
                return p;
            }
        }
        throw new IllegalArgumentException(
                "unknown recovery policy '" + text + "' (expected one of: " + allConfigNames() + ")");
    }
}
