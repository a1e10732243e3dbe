package dev.rewind.kernel;

import java.util.ArrayDeque;

/**
 * A synchronous IPC endpoint, served by exactly one task. Callers queue here (FIFO) until the
 * server receives; at most one server is waiting in receive at a time.
 */
public final class Endpoint {
    final String name;
    final Task server;
    final ArrayDeque<Task> senders = new ArrayDeque<>();
    /** The server, while it waits in receive on this endpoint; else null. */
    Task receiver;

    Endpoint(String name, Task server) {
        this.name = name;
        this.server = server;
    }

    public String name() {
        return name;
    }

    public Task server() {
        return server;
    }

    /** The callers queued here, first first (a copy). */
    public java.util.List<Task> callers() {
        return java.util.List.copyOf(senders);
    }

    /** True while the server waits in receive on this endpoint. */
    public boolean serverWaiting() {
        return receiver != null;
    }
}
