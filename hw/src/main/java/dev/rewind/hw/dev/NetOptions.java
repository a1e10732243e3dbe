package dev.rewind.hw.dev;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The host side of the machine's network cards, as {@code rewind boot --net SPEC} gives it
 * (docs/DEVICES.md, "Host side"): host forwards, guest forwards to built-in services, and
 * whether the guest may reach beyond them.
 *
 * @param restricted    the guest reaches only the host forwards, the guest forwards and slirp's own
 *                      built-in services (DHCP), never the host's network or beyond; on by default
 * @param forwards      host forwards, in the order given
 * @param guestForwards guest forwards ({@code guestfwd=tcp:10.0.2.100:7-echo}), in the order given;
 *                      no two for the same address and port
 */
public record NetOptions(boolean restricted, List<HostForward> forwards, List<GuestForward> guestForwards) {
    public NetOptions {
        forwards = List.copyOf(forwards);
        guestForwards = List.copyOf(guestForwards);
        for (int i = 0; i < guestForwards.size(); i++) {
            for (int j = 0; j < i; j++) {
                GuestForward a = guestForwards.get(i), b = guestForwards.get(j);
                if (a.guestPort() == b.guestPort() && a.guestAddr().equals(b.guestAddr())) {
                    throw new IllegalArgumentException("guest address "
                            + a.guestAddr().getHostAddress() + ":" + a.guestPort() + " is forwarded twice (guestfwd)");
                }
            }
        }
    }

    /** No guest forwards. */
    public NetOptions(boolean restricted, List<HostForward> forwards) {
        this(restricted, forwards, List.of());
    }

    /** Restricted, no forwards: what a net device gets when no --net is given. */
    public static NetOptions defaults() {
        return new NetOptions(true, List.of());
    }

    /**
     * These options plus {@code more} guest forwards (after this one's).
     *
     * @throws IllegalArgumentException if an address and port ends up forwarded twice
     */
    public NetOptions withGuestForwards(List<GuestForward> more) {
        if (more.isEmpty()) {
            return this;
        }
        List<GuestForward> all = new ArrayList<>(guestForwards);
        all.addAll(more);
        return new NetOptions(restricted, forwards, all);
    }

    /**
     * Parses {@code --net} values: each a comma-joined list of {@code hostfwd=RULE},
     * {@code guestfwd=tcp:GUESTADDR:GUESTPORT-SERVICE} and {@code restrict=on|off} (QEMU's {@code -netdev user,...} words), the option repeatable. A
     * leading {@code user,} is accepted and ignored.
     *
     * @throws IllegalArgumentException naming the bad item
     */
    public static NetOptions parse(List<String> specs) {
        boolean restricted = true;
        Boolean restrictGiven = null;
        List<HostForward> fwd = new ArrayList<>();
        List<GuestForward> gfwd = new ArrayList<>();
        for (String spec : specs) {
            if (spec.isBlank()) {
                throw new IllegalArgumentException("--net: empty value (write e.g. hostfwd=tcp:127.0.0.1:8080-:80)");
            }
            String[] items = spec.split(",", -1);
            for (int i = 0; i < items.length; i++) {
                String item = items[i].trim();
                if (i == 0 && item.equals("user")) {
                    continue;
                }
                int eq = item.indexOf('=');
                String key = eq < 0 ? item : item.substring(0, eq).toLowerCase(Locale.ROOT);
                String value = eq < 0 ? null : item.substring(eq + 1);
                switch (key) {
                    case "hostfwd" -> {
                        if (value == null || value.isEmpty()) {
                            throw new IllegalArgumentException(
                                    "--net: hostfwd needs a rule, e.g. hostfwd=tcp:127.0.0.1:8080-:80");
                        }
                        HostForward f = HostForward.parse(value);
                        for (HostForward g : fwd) {
                            if (g.udp() == f.udp()
                                    && g.hostPort() == f.hostPort()
                                    && f.hostPort() != 0
                                    && g.hostAddr().equals(f.hostAddr())) {
                                throw new IllegalArgumentException("--net: host port " + (f.udp() ? "udp " : "tcp ")
                                        + f.hostAddr().getHostAddress() + ":" + f.hostPort() + " is forwarded twice");
                            }
                        }
                        fwd.add(f);
                    }
                    case "guestfwd" -> {
                        if (value == null || value.isEmpty()) {
                            throw new IllegalArgumentException(
                                    "--net: guestfwd needs a rule, e.g. guestfwd=tcp:10.0.2.100:7-echo");
                        }
                        GuestForward g = GuestForward.parse(value);
                        for (GuestForward h : gfwd) {
                            if (h.guestPort() == g.guestPort() && h.guestAddr().equals(g.guestAddr())) {
                                throw new IllegalArgumentException("--net: guest address "
                                        + g.guestAddr().getHostAddress() + ":" + g.guestPort() + " is forwarded twice");
                            }
                        }
                        gfwd.add(g);
                    }
                    case "restrict" -> {
                        boolean r = switch (value == null ? "" : value.toLowerCase(Locale.ROOT)) {
                            case "on", "yes", "y", "true" -> true;
                            case "off", "no", "n", "false" -> false;
                            default ->
                                throw new IllegalArgumentException(
                                        "--net: restrict must be on or off, not '" + value + "'");
                        };
                        if (restrictGiven != null && restrictGiven != r) {
                            throw new IllegalArgumentException("--net: restrict is given both on and off");
                        }
                        restrictGiven = r;
                        restricted = r;
                    }
                    default ->
                        throw new IllegalArgumentException("--net: unknown item '" + item
                                + "' (expected hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT,"
                                + " guestfwd=tcp:GUESTADDR:GUESTPORT-echo or restrict=on|off)");
                }
            }
        }
        return new NetOptions(restricted, fwd, gfwd);
    }
}
