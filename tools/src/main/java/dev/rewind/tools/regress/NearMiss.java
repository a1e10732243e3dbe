package dev.rewind.tools.regress;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * For an expected line that never appeared: the console line that came closest (a word changed,
 * a typo, other spacing or case), so that a near miss shows in the report however long the
 * console was, not only when it is among the last lines shown. Looked for after the run, only
 * for a case that failed so, in the console lines kept.
 */
final class NearMiss {
    private NearMiss() {}

    /** Lines and texts longer than these are not compared character by character (the cost). */
    static final int MAX_LINE = 1024;

    static final int MAX_TEXT = 256;
    /** Edit-distance cells one search may fill; past that the best line so far stands. */
    static final long MAX_CELLS = 50_000_000L;

    /**
     * The console line nearest to {@code m}, as {@code console line N: "..."}, or null when no
     * line is near: for a text, within a third of its length in edits (1 for a text of under 6
     * characters), the line itself ({@code "text"}) or a part of it ({@code contains "text"});
     * for a regex, a line it is found in when case is ignored.
     */
    static String find(LineMatcher m, Console console) {
        List<String> lines = console.lines();
        int best = -1;
        if (m.kind() == LineMatcher.Kind.REGEX) {
            if ((m.pattern().flags() & Pattern.CASE_INSENSITIVE) != 0) {
                return null;
            }
            Pattern loose;
            try {
                loose = Pattern.compile(m.pattern().pattern(), m.pattern().flags() | Pattern.CASE_INSENSITIVE);
            } catch (RuntimeException e) {
                return null;
            }
            for (int i = 0; i < lines.size() && best < 0; i++) {
                try {
                    if (lines.get(i).length() <= MAX_LINE
                            && loose.matcher(lines.get(i)).find()) {
                        best = i;
                    }
                } catch (StackOverflowError e) {
                    return null;
                }
            }
            return best < 0 ? null : shown(console, best, " (when case is ignored)");
        }
        String t = m.text();
        if (t.isEmpty() || t.length() > MAX_TEXT) {
            return null;
        }
        boolean part = m.kind() == LineMatcher.Kind.CONTAINS;
        String lower = t.toLowerCase(Locale.ROOT);
        int limit = t.length() < 6 ? 1 : Math.min(t.length() / 3, 16);
        int bestDistance = limit + 1;
        long cells = 0;
        for (int i = 0; i < lines.size() && bestDistance > 0 && cells < MAX_CELLS; i++) {
            String l = lines.get(i);
            if (l.length() > MAX_LINE) {
                continue;
            }
            // other case alone is nearest of all
            if (part ? l.toLowerCase(Locale.ROOT).contains(lower) : l.equalsIgnoreCase(t)) {
                best = i;
                bestDistance = 0;
                break;
            }
            int k = bestDistance - 1;
            if (!part && Math.abs(l.length() - t.length()) > k) {
                continue;
            }
            cells += (long) t.length() * (l.length() + 1);
            int d = distance(t, l, k, part);
            if (d >= 0 && d < bestDistance) {
                bestDistance = d;
                best = i;
            }
        }
        return best < 0 ? null : shown(console, best, "");
    }

    private static String shown(Console console, int index, String note) {
        return "console line " + (console.dropped() + index + 1) + ": "
                + Text.quoted(console.lines().get(index), 160) + note;
    }

    /**
     * The edits (insertions, deletions, substitutions) that turn {@code line}, or with
     * {@code part} some part of it, into {@code t}; -1 if more than {@code k}.
     */
    static int distance(String t, String line, int k, boolean part) {
        if (k < 0) {
            return -1;
        }
        int n = line.length();
        int[] prev = new int[n + 1];
        int[] cur = new int[n + 1];
        for (int j = 0; j <= n; j++) {
            prev[j] = part ? 0 : j; // a part may start anywhere
        }
        for (int i = 1; i <= t.length(); i++) {
            cur[0] = i;
            int rowMin = cur[0];
            char c = t.charAt(i - 1);
            for (int j = 1; j <= n; j++) {
                int v = Math.min(
                        prev[j - 1] + (c == line.charAt(j - 1) ? 0 : 1), Math.min(prev[j] + 1, cur[j - 1] + 1));
                cur[j] = v;
                rowMin = Math.min(rowMin, v);
            }
            if (rowMin > k) {
                return -1;
            }
            int[] swap = prev;
            prev = cur;
            cur = swap;
        }
        int d;
        if (part) {
            d = Integer.MAX_VALUE;
            for (int v : prev) {
                d = Math.min(d, v); // a part may end anywhere
            }
        } else {
            d = prev[n];
        }
        return d <= k ? d : -1;
    }
}
