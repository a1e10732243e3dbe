package dev.rewind.tools.gdb;

import dev.rewind.kernel.debug.DebugTarget.WatchKind;

/**
 * {@code Z}/{@code z}: software (0) and hardware (1) breakpoints, which are the same thing
 * here (engine hooks, guest memory is never patched), and write (2), read (3) and access (4)
 * watchpoints. Conditions and commands after ';' are ignored (gdb evaluates them itself). A
 * watched range ({@code addr,length}) must be non-empty and end at or below the top of the
 * address space: one that wraps is malformed ({@code E01}), for insertion and removal alike.
 */
final class BreakpointCommands {
    private final GdbSession s;

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
        boolean ok;
        switch (type) {
            case 0, 1 -> {
                if (s.multiprocess) {
                    // gdb names the breakpoint's inferior with Hg before Z/z: it is that task's alone
                    int t = s.generalThread();
                    ok = insert ? s.target.insertBreakpoint(t, addr) : s.target.removeBreakpoint(t, addr);
                } else {
                    ok = insert ? s.target.insertBreakpoint(addr) : s.target.removeBreakpoint(addr);
                }
            }
            case 2, 3, 4 -> {
                if (kind == 0 || Long.compareUnsigned(addr + kind - 1, addr) < 0) {
                    return "E01"; // an empty range, or one that wraps past the top of the address space
                }
                WatchKind w = type == 2 ? WatchKind.WRITE : type == 3 ? WatchKind.READ : WatchKind.ACCESS;
                ok = insert ? s.target.insertWatchpoint(w, addr, kind) : s.target.removeWatchpoint(w, addr, kind);
            }
            default -> {
                return ""; // unsupported type
            }
        }
        return ok ? "OK" : "E01";
    }
}
