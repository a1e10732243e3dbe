package dev.rewind.kernel;

import dev.rewind.hw.cpu.Cpu;

/**
 * A test probe's stop of one task after a number of its instructions (counted natively,
 * {@link Cpu#stopAtInstruction}): {@link #arm} it, and in the probe's {@link
 * KernelProbe#stopped} ask {@link #reached}, which removes it. One stop at a time.
 */
final class StopAfter {
    private Task target;
    private Cpu.Countdown hook;

    /** Stop {@code t} after {@code instructions} more instructions (1: the next). */
    void arm(Task t, long instructions) {
        target = t;
        hook = t.cpu().stopAtInstruction(instructions);
        t.cpu().dropCodeTranslations(); // (the count takes effect in code translated again)
    }

    /** A stop is armed and not yet reached. */
    boolean armed() {
        return hook != null;
    }

    /** True, and the stop removed, if {@code task} stopped because of it. */
    boolean reached(Task task) {
        if (task != target || hook == null || !hook.reached()) {
            return false;
        }
        hook.close();
        hook = null;
        task.cpu().dropCodeTranslations();
        return true;
    }
}
