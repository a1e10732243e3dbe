package dev.rewind.tools.gdb;

import dev.rewind.kernel.Kernel;
import dev.rewind.kernel.SystemResult;
import dev.rewind.kernel.debug.KernelDebugger;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** {@code rewind boot --gdb [HOST:]PORT [--gdb-wait]}: run a kernel with the gdb stub attached. */
public final class GdbBoot {
    private GdbBoot() {}

    /** Reject option combinations before booting. */
    public static void checkOptions(String spec, boolean wait) {
        if (spec == null) {
            if (wait) {
                throw new IllegalArgumentException("--gdb-wait needs --gdb [HOST:]PORT");
            }
            return;
        }
        parseAddress(spec);
    }

    /**
     * "PORT" or ":PORT" listens on the loopback interface only; "HOST:PORT" (also
     * "[v6-address]:PORT") on that host, which the user chose explicitly.
     */
    public static InetSocketAddress parseAddress(String spec) {
        String host = null;
        String port = spec;
        int colon = spec.lastIndexOf(':');
        if (colon >= 0) {
            host = spec.substring(0, colon);
            port = spec.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (host.isEmpty()) {
                host = null;
            }
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException(
                    "--gdb: expected [HOST:]PORT with a port from 0 to 65535, got '" + spec + "'");
        }
        try {
            InetAddress addr = host == null ? InetAddress.getLoopbackAddress() : InetAddress.getByName(host);
            return new InetSocketAddress(addr, p);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--gdb: unknown host '" + host + "'");
        }
    }

    /** Attach the stub, run the kernel to the end, and tell the debugger how it ended. */
    public static SystemResult run(Kernel kernel, String spec, boolean wait, PrintStream err) {
        return run(kernel, spec, wait, false, err);
    }

    /** @param inferiors offer gdb one inferior per task (--gdb-inferiors) */
    public static SystemResult run(Kernel kernel, String spec, boolean wait, boolean inferiors, PrintStream err) {
        return run(kernel, spec, wait, inferiors, null, err);
    }

    /**
     * @param inferiors     offer gdb one inferior per task (--gdb-inferiors)
     * @param reverseWindow how many instructions back reverse execution goes (--gdb-reverse-window), or null for the default
     */
    public static SystemResult run(
            Kernel kernel, String spec, boolean wait, boolean inferiors, Long reverseWindow, PrintStream err) {
        return run(kernel, spec, wait, inferiors, reverseWindow, err, d -> {});
    }

    /** ... and {@code setup} given the debugger before the system starts (rewind inject --gdb: its halts). */
    public static SystemResult run(
            Kernel kernel,
            String spec,
            boolean wait,
            boolean inferiors,
            Long reverseWindow,
            PrintStream err,
            java.util.function.Consumer<KernelDebugger> setup) {
        InetSocketAddress addr = parseAddress(spec);
        KernelDebugger debugger = new KernelDebugger(kernel, wait);
        setup.accept(debugger);
        if (reverseWindow != null) {
            debugger.setReverseWindow(reverseWindow);
        }
        GdbServer server;
        try {
            server = new GdbServer(debugger, addr, inferiors);
        } catch (IOException e) {
            throw new IllegalArgumentException("--gdb: cannot listen on " + addr + ": " + e.getMessage());
        }
        try (server) {
            server.start();
            String host = addr.getAddress().getHostAddress();
            if (!addr.getAddress().isLoopbackAddress()) {
                err.printf(
                        "rewind: warning: the gdb stub listens on %s, reachable from other machines;"
                                + " whoever connects controls the guest%n",
                        host);
            }
            String where = (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port();
            err.printf(
                    "rewind: gdb stub listening on %s%s%n",
                    where, wait ? " (the system waits for gdb before its first instruction)" : "");
            err.printf(
                    "rewind: attach with: gdb-multiarch -ex 'target remote %s' [PROGRAM.elf]"
                            + " (without one, gdb loads the booted program itself)%n",
                    where);
            err.flush();
            SystemResult r = kernel.run();
            boolean killed = debugger.killed();
            debugger.systemEnded(); // the final state stays readable while gdb hears how each task ended
            server.systemEnded(r.outcome().exitStatus(), m -> {
                err.println("rewind: " + m);
                err.flush();
            });
            if (killed) {
                return new SystemResult(
                        SystemResult.Outcome.TASK_FAILED, "killed by the debugger", r.tasks(), r.nanos());
            }
            return r;
        }
    }
}
