package dev.rewind.tools.regress;

import java.util.List;

/**
 * The guest console of one run.
 *
 * @param lines   the lines kept (all of them, unless the console was very long: then the last ones)
 * @param dropped lines dropped from the front to bound memory
 * @param total   all lines the guest wrote
 */
public record Console(List<String> lines, int dropped, int total) {
    public static final Console EMPTY = new Console(List.of(), 0, 0);

    public Console {
        lines = List.copyOf(lines);
    }

    /** The last {@code n} lines. */
    public List<String> tail(int n) {
        return lines.subList(Math.max(0, lines.size() - n), lines.size());
    }

    /** The console as text, one line per line. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        if (dropped > 0) {
            sb.append("[... ").append(dropped).append(" earlier lines not kept ...]\n");
        }
        for (String l : lines) {
            sb.append(l).append('\n');
        }
        return sb.toString();
    }
}
