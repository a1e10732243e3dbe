package dev.rewind.hw.cpu;

/** For tests that stop a running CPU from another thread. */
final class Later {
    private Later() {}

    /** Start a thread that runs {@code action} after {@code ms} milliseconds (join it after the run). */
    static Thread run(long ms, Runnable action) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                return;
            }
            action.run();
        });
        t.start();
        return t;
    }
}
