package dev.rewind.tools.gdb;

import dev.rewind.hw.cpu.Arch;
import dev.rewind.kernel.debug.DebugTarget.WatchKind;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code Z}/{@code z}: software (0) and hardware (1) breakpoints, which are the same thing
 * here (engine hooks, guest memory is never patched), and write (2), read (3) and access (4)
 * watchpoints. Conditions and commands after ';' are ignored (gdb evaluates them itself).
 *
 * <p>What the stub accepts, as gdbserver and QEMU do, with the reason in an {@code E.} reply
 * (gdb's own packet tools and MI show it; for a {@code break} gdb 13 shows only "Cannot insert
 * breakpoint", so {@code rewind boot} logs the reason too):
 *
 * <ul>
 *   <li>a breakpoint's kind is an instruction's size: 2 or 4 on RISC-V (compressed or not), 4 on
 *       AArch64, at an address aligned to it (RISC-V: 2, AArch64: 4);
 *   <li>a watched range ({@code addr,length}) is 1 byte to 64 KiB and ends at or below the top of
 *       the address space; it may span unmapped memory (nothing there ever triggers it);
 *   <li>{@code z} removes a point this connection inserted, with the same type, address (and
 *       process, with multiprocess) and length; one that is not there is an error, as in gdbserver
 *       and QEMU. Points are counted: a {@code Z0} and a {@code Z1} at one address (gdb's
 *       {@code break} and {@code hbreak}) are two, and removing one leaves the other in place.
 * </ul>
 *
 * A malformed packet (fields missing or not hex) is {@code E01}, an unknown type unsupported
 * (empty reply).
 */
final class BreakpointCommands {
    private final GdbSession s;
    /** The points this connection inserted and not removed: (type, task or 0, address, length) and how many times. */
    private final Map<Point, Integer> inserted = new HashMap<>();

    private record Point(int type, int thread, long address, long length) {}

    BreakpointCommands(GdbSession s) {
        this.s = s;
    }

    String handle(String p) {
        boolean insert = p.charAt(0) == 'Z';
        int semi = p.indexOf(';');
        String[] f = (semi < 0 ? p.substring(1) : p.substring(1, semi)).split(",", -1);
        if (f.length != 3) {
            return "E01";
        }
        int type = PacketCodec.parseHexInt(f[0], 255);
        long addr = PacketCodec.parseHex(f[1]);
        long kind = PacketCodec.parseHex(f[2]);
        if (type > 4) {
            return ""; // unsupported type
        }
        String bad = type <= 1 ? badBreakpoint(addr, kind) : badWatch(addr, kind);
        if (bad != null) {
            return refuse(p, bad);
        }
        // gdb names a breakpoint's inferior with Hg before Z/z: with multiprocess it is that task's alone
        int thread = type <= 1 && s.multiprocess ? s.generalThread() : 0;
        // the two breakpoint types are one hook: a breakpoint is kept while either holds it
        Point point = new Point(type, thread, addr, type <= 1 ? 0 : kind);
        Point sameHook = type <= 1 ? new Point(1 - type, thread, addr, 0) : null;
        if (!insert) {
            Integer n = inserted.get(point);
            if (n == null) {
                return refuse(
                        p,
                        String.format(
                                "no %s at 0x%x%s to remove",
                                what(type), addr, type <= 1 ? "" : " of " + kind + " bytes"));
            }
            if (n > 1) {
                inserted.put(point, n - 1);
                return "OK";
            }
            if (sameHook == null || !inserted.containsKey(sameHook)) {
                boolean ok = type <= 1
                        ? (thread != 0 ? s.target.removeBreakpoint(thread, addr) : s.target.removeBreakpoint(addr))
                        : s.target.removeWatchpoint(watchKind(type), addr, kind);
                if (!ok) {
                    return "E01";
                }
            }
            inserted.remove(point);
            return "OK";
        }
        if (!inserted.containsKey(point) && (sameHook == null || !inserted.containsKey(sameHook))) {
            boolean ok = type <= 1
                    ? (thread != 0 ? s.target.insertBreakpoint(thread, addr) : s.target.insertBreakpoint(addr))
                    : s.target.insertWatchpoint(watchKind(type), addr, kind);
            if (!ok) {
                return refuse(
                        p,
                        type <= 1
                                ? "too many breakpoints (at most 1024)"
                                : "too many watchpoints (at most 64 ranges of up to 64 KiB)");
            }
        }
        inserted.merge(point, 1, Integer::sum);
        return "OK";
    }

    private static WatchKind watchKind(int type) {
        return type == 2 ? WatchKind.WRITE : type == 3 ? WatchKind.READ : WatchKind.ACCESS;
    }

    private static String what(int type) {
        return switch (type) {
            case 0 -> "software breakpoint";
            case 1 -> "hardware breakpoint";
            case 2 -> "write watchpoint";
            case 3 -> "read watchpoint";
            default -> "access watchpoint";
        };
    }

    /** Why a breakpoint of {@code kind} at {@code addr} cannot be (no instruction of that size starts there), or null. */
    private String badBreakpoint(long addr, long kind) {
        boolean arm = s.target.arch() == Arch.AARCH64;
        if (arm ? kind != 4 : kind != 2 && kind != 4) {
            return String.format(
                    "breakpoint kind %d is not an instruction size: %s",
                    kind,
                    arm ? "AArch64 instructions are 4 bytes" : "RISC-V instructions are 2 (compressed) or 4 bytes");
        }
        long align = arm ? 4 : 2;
        if ((addr & (align - 1)) != 0) {
            return String.format(
                    "no instruction starts at 0x%x: %s instructions are %d-byte aligned",
                    addr, arm ? "AArch64" : "RISC-V", align);
        }
        return null;
    }

    /** Why {@code length} bytes at {@code addr} cannot be watched, or null. */
    private static String badWatch(long addr, long length) {
        if (length == 0) {
            return "a watchpoint of 0 bytes watches nothing";
        }
        if (Long.compareUnsigned(length, 1 << 16) > 0) {
            return String.format("a watchpoint of 0x%x bytes is longer than the 64 KiB one watchpoint covers", length);
        }
        if (Long.compareUnsigned(addr + length - 1, addr) < 0) {
            return String.format("0x%x bytes at 0x%x wrap past the top of the address space", length, addr);
        }
        return null;
    }

    private static String refuse(String packet, String why) {
        GdbSession.log.warn("gdb: {} refused: {}", PacketCodec.abbreviate(packet), why);
        return "E." + why;
    }
}
