package dev.rewind.hw.dev;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * One host forward: connections (TCP) or datagrams (UDP) to {@code hostAddr:hostPort} on the host
 * are forwarded to {@code guestAddr:guestPort} inside the guest network, QEMU's
 * {@code hostfwd=tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT}. Host port 0 asks for a free port;
 * the backend reports the bound one ({@link NetBackend#forwards}).
 *
 * @param udp       UDP rather than TCP
 * @param hostAddr  IPv4 address to listen on (default 127.0.0.1)
 * @param hostPort  0..65535 (0: any free port)
 * @param guestAddr IPv4 address in the guest network (default 10.0.2.15)
 * @param guestPort 1..65535
 */
public record HostForward(boolean udp, Inet4Address hostAddr, int hostPort, Inet4Address guestAddr, int guestPort) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final String DEFAULT_GUEST = "10.0.2.15";

    public HostForward {
        if (hostPort < 0 || hostPort > 65535) {
            throw new IllegalArgumentException("host port " + hostPort + " is not 0..65535");
        }
        if (guestPort < 1 || guestPort > 65535) {
            throw new IllegalArgumentException("guest port " + guestPort + " is not 1..65535");
        }
    }

    /** The same rule bound to {@code port}. */
    public HostForward withHostPort(int port) {
        return new HostForward(udp, hostAddr, port, guestAddr, guestPort);
    }

    /**
     * Parses {@code tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT} (or {@code udp:}; the protocol may
     * be left out, meaning tcp, as in QEMU). Addresses are dotted IPv4 literals, never host names.
     *
     * @throws IllegalArgumentException saying what is wrong with the rule
     */
    public static HostForward parse(String rule) {
        String r = rule;
        boolean udp = false;
        String lower = r.toLowerCase(Locale.ROOT);
        if (lower.startsWith("tcp:")) {
            r = r.substring(4);
        } else if (lower.startsWith("udp:")) {
            udp = true;
            r = r.substring(4);
        } else if (r.indexOf(':') >= 0 && !Character.isDigit(r.charAt(0)) && r.charAt(0) != ':') {
            throw new IllegalArgumentException("hostfwd '" + rule
                    + "': protocol must be tcp or udp (write tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT)");
        }
        int dash = r.indexOf('-');
        if (dash < 0 || r.indexOf('-', dash + 1) >= 0) {
            throw new IllegalArgumentException("hostfwd '" + rule
                    + "': expected [tcp|udp:][HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT, e.g. tcp:127.0.0.1:8080-:80");
        }
        String host = r.substring(0, dash);
        String guest = r.substring(dash + 1);
        int hc = host.lastIndexOf(':');
        int gc = guest.lastIndexOf(':');
        if (hc < 0 || gc < 0) {
            throw new IllegalArgumentException("hostfwd '" + rule
                    + "': each side needs ADDR:PORT (the address may be empty), e.g. tcp:127.0.0.1:8080-:80");
        }
        Inet4Address ha = addr(rule, host.substring(0, hc), DEFAULT_HOST, "host");
        int hp = port(rule, host.substring(hc + 1), "host", true);
        Inet4Address ga = addr(rule, guest.substring(0, gc), DEFAULT_GUEST, "guest");
        int gp = port(rule, guest.substring(gc + 1), "guest", false);
        String why = notAGuest(ga);
        if (why != null) {
            throw new IllegalArgumentException("hostfwd '" + rule + "': guest address " + ga.getHostAddress() + " "
                    + why + " (a guest's address is in 10.0.2.0/24; DHCP gives 10.0.2.15, the default)");
        }
        return new HostForward(udp, ha, hp, ga, gp);
    }

    /** Why no guest can have address {@code a} on slirp's network, or null if one can. */
    static String notAGuest(Inet4Address a) {
        byte[] b = a.getAddress();
        if ((b[0] & 0xff) != 10 || b[1] != 0 || b[2] != 2) {
            return "is outside the guest network 10.0.2.0/24";
        }
        return switch (b[3] & 0xff) {
            case 0 -> "is the network's own address";
            case 255 -> "is the broadcast address";
            case 2 -> "is the host (gateway) 10.0.2.2";
            case 3 -> "is the DNS server 10.0.2.3";
            default -> null;
        };
    }

    private static Inet4Address addr(String rule, String s, String dflt, String side) {
        String a = s.isEmpty() ? dflt : s;
        if (!a.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new IllegalArgumentException(
                    "hostfwd '" + rule + "': " + side + " address '" + s + "' is not a dotted IPv4 address");
        }
        for (String octet : a.split("\\.")) {
            if (Integer.parseInt(octet) > 255) {
                throw new IllegalArgumentException(
                        "hostfwd '" + rule + "': " + side + " address '" + s + "' is not a dotted IPv4 address");
            }
        }
        try {
            return (Inet4Address) InetAddress.getByName(a); // a literal: no name lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("hostfwd '" + rule + "': bad " + side + " address '" + s + "'");
        }
    }

    private static int port(String rule, String s, String side, boolean zeroOk) {
        int p = -1;
        if (s.matches("\\d{1,5}")) {
            p = Integer.parseInt(s);
        }
        if (p < (zeroOk ? 0 : 1) || p > 65535) {
            throw new IllegalArgumentException("hostfwd '" + rule + "': " + side + " port '" + s + "' is not "
                    + (zeroOk ? "0..65535 (0: any free port)" : "1..65535"));
        }
        return p;
    }

    /** {@code tcp 127.0.0.1:8080 -> 10.0.2.15:80}. */
    @Override
    public String toString() {
        return (udp ? "udp " : "tcp ") + hostAddr.getHostAddress() + ":" + hostPort + " -> "
                + guestAddr.getHostAddress() + ":" + guestPort;
    }
}
