package dev.rewind.hw.dev;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The host side of the machine's network cards, as {@code rewind boot --net SPEC} gives it
 * (docs/DEVICES.md, "Host side"): host forwards and whether the guest may reach beyond them.
 *
 * @param restricted the guest reaches only the host forwards and slirp's own built-in services
 *                   (DHCP), never the host's network or beyond; on by default
 * @param forwards   host forwards, in the order given
 */
public record NetOptions(boolean restricted, List<HostForward> forwards) {
    public NetOptions {
        forwards = List.copyOf(forwards);
    }

    /** Restricted, no forwards: what a net device gets when no --net is given. */
    public static NetOptions defaults() {
        return new NetOptions(true, List.of());
    }

    /**
     * Parses {@code --net} values: each a comma-joined list of {@code hostfwd=RULE} and
     * {@code restrict=on|off} (QEMU's {@code -netdev user,...} words), the option repeatable. A
     * leading {@code user,} is accepted and ignored.
     *
     * @throws IllegalArgumentException naming the bad item
     */
    public static NetOptions parse(List<String> specs) {
        boolean restricted = true;
        Boolean restrictGiven = null;
        List<HostForward> fwd = new ArrayList<>();
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
                        throw new IllegalArgumentException(
                                "--net: unknown item '" + item
                                        + "' (expected hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT or restrict=on|off)");
                }
            }
        }
        return new NetOptions(restricted, fwd);
    }
}
