package dev.rewind.kernel;

/**
 * One slot of a task's capability table: the right to use a kernel object.
 *
 * @param name       the manifest name the guest looks it up by
 * @param kind       what it names and which right it grants
 * @param endpoint   for endpoint capabilities
 * @param notification for notification capabilities
 * @param badge      given to the server with every call made through this capability
 * @param generation the server's generation this capability was minted (or refreshed) for
 * @param device     for device capabilities: the device (its interrupt is {@code notification})
 */
public record Capability(
        String name,
        Kind kind,
        Endpoint endpoint,
        Notification notification,
        long badge,
        int generation,
        BoundDevice device) {

    public Capability(
            String name, Kind kind, Endpoint endpoint, Notification notification, long badge, int generation) {
        this(name, kind, endpoint, notification, badge, generation, null);
    }

    public enum Kind {
        /** May call the endpoint. */
        ENDPOINT_SEND,
        /** May receive on the endpoint (held by its server). */
        ENDPOINT_RECV,
        /** May signal the notification. */
        NOTIFY_SIGNAL,
        /** May wait on and poll the notification (held by its owner). */
        NOTIFY_WAIT,
        /** May use a device: its registers are mapped into the holder; wait/poll take its interrupt. */
        DEVICE
    }

    public Capability withGeneration(int g) {
        return new Capability(name, kind, endpoint, notification, badge, g, device);
    }
}
