package dev.rewind.kernel;

/**
 * The kernel's side of a pseudo-client: a {@link Task} that is never scheduled, through which
 * the kernel sends a server requests of its own (a shadow driver's replayed OPENs, a TxIPC
 * server's replayed history). Its replies and failures come here instead of to a task.
 */
interface Agent {
    /** The server replied {@code reply} (a1..a6 in reply[1..6]) to {@code agent}'s request. */
    void agentReplied(Task agent, long[] reply);

    /** The request could not be served (the server died or restarted). */
    void agentFailed(Task agent);
}
