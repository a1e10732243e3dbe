package dev.rewind.hw.dev;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * One guest forward: TCP connections the guest opens to {@code guestAddr:guestPort} are served
 * inside the host backend by a built-in service, QEMU's {@code guestfwd=tcp:SERVER:PORT-DEV} in
 * spirit (docs/DEVICES.md, "Host side"). Nothing leaves the machine: the service runs in this
 * process. The only service is {@value #ECHO}: every byte the guest writes comes back, in order.
 *
 * @param guestAddr an address in the guest network 10.0.2.0/24 that is no one else's (not the
 *                  network or broadcast address, the host 10.0.2.2, the DNS 10.0.2.3 or the guest's
 *                  own 10.0.2.15)
 * @param guestPort 1..65535
 * @param service   the built-in service ({@value #ECHO})
 */
public record GuestForward(Inet4Address guestAddr, int guestPort, String service) {
    /** The echo service. */
    public static final String ECHO = "echo";
    /** Built-in services. */
    public static final List<String> SERVICES = List.of(ECHO);

    public GuestForward {
        if (guestPort < 1 || guestPort > 65535) {
            throw new IllegalArgumentException("guest port " + guestPort + " is not 1..65535");
        }
        if (!SERVICES.contains(service)) {
            throw new IllegalArgumentException(
                    "unknown service '" + service + "' (built-in services: " + String.join(", ", SERVICES) + ")");
        }
        String why = reserved(guestAddr);
        if (why != null) {
            throw new IllegalArgumentException("guest address " + guestAddr.getHostAddress() + " " + why);
        }
    }

    private static String reserved(Inet4Address a) {
        String why = HostForward.notAGuest(a);
        if (why != null) {
            return why;
        }
        return (a.getAddress()[3] & 0xff) == 15 ? "is the guest's own address 10.0.2.15" : null;
    }

    /**
     * Parses {@code [tcp:]GUESTADDR:GUESTPORT-SERVICE}, e.g. {@code tcp:10.0.2.100:7-echo}. The
     * address is a dotted IPv4 literal in 10.0.2.0/24.
     *
     * @throws IllegalArgumentException saying what is wrong with the rule
     */
    public static GuestForward parse(String rule) {
        String r = rule.trim();
        String lower = r.toLowerCase(Locale.ROOT);
        if (lower.startsWith("tcp:")) {
            r = r.substring(4);
        } else if (lower.startsWith("udp:")) {
            throw new IllegalArgumentException("guestfwd '" + rule + "': only tcp is supported");
        }
        int dash = r.lastIndexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException(
                    "guestfwd '" + rule + "': expected [tcp:]GUESTADDR:GUESTPORT-SERVICE, e.g. tcp:10.0.2.100:7-echo");
        }
        String where = r.substring(0, dash);
        String service = r.substring(dash + 1);
        int colon = where.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException(
                    "guestfwd '" + rule + "': expected [tcp:]GUESTADDR:GUESTPORT-SERVICE, e.g. tcp:10.0.2.100:7-echo");
        }
        String a = where.substring(0, colon);
        String p = where.substring(colon + 1);
        if (!a.matches("\\d{1,3}(\\.\\d{1,3}){3}") || !octetsOk(a)) {
            throw new IllegalArgumentException("guestfwd '" + rule + "': guest address '" + a
                    + "' is not a dotted IPv4 address (e.g. 10.0.2.100)");
        }
        int port = p.matches("\\d{1,5}") ? Integer.parseInt(p) : -1;
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("guestfwd '" + rule + "': guest port '" + p + "' is not 1..65535");
        }
        String svc = service.toLowerCase(Locale.ROOT);
        if (!SERVICES.contains(svc)) {
            throw new IllegalArgumentException("guestfwd '" + rule + "': unknown service '" + service
                    + "' (built-in services: " + String.join(", ", SERVICES) + ")");
        }
        Inet4Address addr;
        try {
            addr = (Inet4Address) InetAddress.getByName(a); // a literal: no name lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("guestfwd '" + rule + "': bad guest address '" + a + "'");
        }
        String why = reserved(addr);
        if (why != null) {
            throw new IllegalArgumentException("guestfwd '" + rule + "': guest address " + a + " " + why);
        }
        return new GuestForward(addr, port, svc);
    }

    private static boolean octetsOk(String a) {
        for (String o : a.split("\\.")) {
            if (Integer.parseInt(o) > 255) {
                return false;
            }
        }
        return true;
    }

    /** {@code tcp 10.0.2.100:7 -> echo}. */
    @Override
    public String toString() {
        return "tcp " + guestAddr.getHostAddress() + ":" + guestPort + " -> " + service;
    }
}
