package dev.rewind.kernel.debug;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.kernel.debug.DebugPoints.Watch;
import dev.rewind.kernel.debug.DebugTarget.WatchKind;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The debugger's breakpoint and watchpoint snapshot (no kernel needed) and the halt protocol's
 * guard: every access to task state needs the halted system.
 */
class DebugPointsTest {
    @Test
    void breakpointsAreAddedOnceRemovedAndVersioned() {
        DebugPoints p = DebugPoints.EMPTY.withBreakpoint(0x1000);
        assertEquals(List.of(0x1000L), p.breakpoints());
        assertEquals(1, p.version());
        assertSame(p, p.withBreakpoint(0x1000), "an existing breakpoint changes nothing");
        assertSame(p, p.withoutBreakpoint(0x2000), "removing an absent breakpoint changes nothing");
        DebugPoints q = p.withoutBreakpoint(0x1000);
        assertTrue(q.empty());
        assertEquals(2, q.version());
        assertTrue(p.breaksAt(7, 0x1000));
        assertFalse(q.breaksAt(7, 0x1000));
    }

    @Test
    void ownBreakpointsApplyToTheirThreadAloneAndShareTheLimit() {
        DebugPoints p = DebugPoints.EMPTY.withBreakpoint(2, 0x4000);
        assertTrue(p.breaksAt(2, 0x4000));
        assertFalse(p.breaksAt(3, 0x4000));
        assertTrue(p.empty(), "own breakpoints are not shared points");
        assertTrue(p.withoutBreakpoint(2, 0x4000).own().isEmpty(), "a thread without breakpoints leaves the map");

        DebugPoints full = DebugPoints.EMPTY;
        for (int i = 0; i < DebugPoints.MAX_BREAKPOINTS - 1; i++) {
            full = full.withBreakpoint(0x10000L + 4 * i);
        }
        full = full.withBreakpoint(1, 0x8000);
        assertNull(full.withBreakpoint(1, 0x8004), "shared and own breakpoints count together");
        assertSame(full, full.withBreakpoint(1, 0x8000), "an existing one is still accepted");
    }

    @Test
    void watchpointsMatchOverlappingAccessesOfTheirKind() {
        Watch w = new Watch(WatchKind.WRITE, 0x2000, 4);
        assertTrue(w.matches(0x2003, 1, true));
        assertTrue(w.matches(0x1ffc, 8, true), "an access that starts before the range and reaches into it");
        assertFalse(w.matches(0x1ffc, 4, true), "ends just before the range");
        assertFalse(w.matches(0x2004, 1, true), "starts just after it");
        assertFalse(w.matches(0x2000, 4, false), "a read does not trigger a write watchpoint");
        assertTrue(new Watch(WatchKind.ACCESS, 0x2000, 4).matches(0x2000, 4, false));
        assertFalse(new Watch(WatchKind.READ, 0x2000, 4).matches(0x2000, 4, true));
        assertEquals(0, new Watch(WatchKind.READ, 3, 1).hookBegin(), "the early start stops at address 0");
        assertEquals(0x1ff9, w.hookBegin());
        assertEquals(0x2003, w.last());

        DebugPoints p = DebugPoints.EMPTY;
        for (int i = 0; i < DebugPoints.MAX_WATCHPOINTS; i++) {
            p = p.withWatch(new Watch(WatchKind.ACCESS, 0x100000L + 16 * i, 8));
        }
        assertNull(p.withWatch(w));
        assertSame(p, p.withoutWatch(w));
        assertEquals(
                DebugPoints.MAX_WATCHPOINTS - 1,
                p.withoutWatch(new Watch(WatchKind.ACCESS, 0x100000L, 8))
                        .watches()
                        .size());
    }

    @Test
    void replayPointsAndWatchLookupFollowTheSnapshot() {
        DebugPoints p = DebugPoints.EMPTY
                .withBreakpoint(0x1000)
                .withBreakpoint(4, 0x2000)
                .withWatch(new Watch(WatchKind.WRITE, 0x3000, 8))
                .withWatch(new Watch(WatchKind.ACCESS, 0x3004, 8));
        ReverseExecution.Points r = p.forReplay(4);
        assertTrue(r.breakpoint(0x1000));
        assertTrue(r.breakpoint(0x2000));
        assertFalse(p.forReplay(5).breakpoint(0x2000), "another thread's own breakpoint");
        assertTrue(r.watched(0x3000, 8, true));
        assertArrayEquals(new long[] {0x2ff9, 0x3007, 0x2ffd, 0x300b}, r.watchRanges());
        assertEquals(WatchKind.WRITE, p.watchAt(0x3000, true).kind());
        assertEquals(WatchKind.ACCESS, p.watchAt(0x3000, false).kind(), "a read skips the write watchpoint");
        assertNull(p.watchAt(0x4000, true));
        DebugPoints c = p.cleared();
        assertTrue(c.empty() && c.own().isEmpty() && c.scope().isEmpty());
        assertEquals(p.version() + 1, c.version());
        assertEquals(List.of("kv"), p.withScope(List.of("kv")).scope());
    }

    @Test
    void taskStateIsReachableOnlyWhileHalted() {
        HaltProtocol halt = new HaltProtocol(null);
        boolean[] ran = {false};
        assertThrows(IllegalStateException.class, () -> halt.whileHalted(() -> ran[0] = true));
        assertFalse(ran[0], "the body does not run while the system runs");
        assertFalse(halt.halted());
        halt.systemEnded(); // halted for good, in the final state
        assertTrue(halt.halted());
        assertNull(halt.currentStop());
        assertTrue(halt.over());
        assertEquals(42, halt.whileHalted(() -> 42));
    }
}
