package dev.rewind.kernel;

/** Where a task is in its life. */
public enum TaskState {
    /** Runnable, waiting for the CPU. */
    READY,
    /** On the CPU now. */
    RUNNING,
    /** Sent a call; queued on the endpoint until the server receives it. */
    SENDING,
    /** Its call was received; waiting for the reply. */
    AWAITING_REPLY,
    /** Waiting in recv for a caller. */
    RECEIVING,
    /** Waiting on a notification. */
    WAITING,
    /** Called exit. */
    EXITED,
    /** Killed by a fault under policy none (or too many restarts). */
    DEAD;

    public boolean alive() {
        return this != EXITED && this != DEAD;
    }

    public boolean blocked() {
        return this == SENDING || this == AWAITING_REPLY || this == RECEIVING || this == WAITING;
    }
}
