package dev.rewind.kernel.text;

import java.util.Collection;
import java.util.Optional;

/**
 * "Did you mean" hints for a misspelt word (a manifest key, a suite directive, a built-in image name):
 * the one edit distance and the one rule for when a known word is close enough to suggest.
 */
public final class Suggestions {
    private Suggestions() {}

    /**
     * The known word closest to {@code word}, if one is close enough: {@link #editDistance} at most 1 for
     * a word of up to 3 characters, else at most 2 or a third of the candidate's length (whichever is more);
     * or, for a word of 3 or more characters, one is a prefix of the other ({@code "prio"} for
     * {@code "priority"}). The nearest wins; on a tie, the earliest in {@code candidates}. A candidate
     * equal to {@code word} is never suggested.
     */
    public static Optional<String> closest(String word, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            if (c.equals(word)) {
                continue;
            }
            int d = editDistance(word, c);
            int limit = word.length() <= 3 ? 1 : Math.max(2, c.length() / 3);
            boolean prefix = word.length() >= 3 && (c.startsWith(word) || word.startsWith(c));
            if ((d <= limit || prefix) && d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * The number of single-character insertions, deletions, substitutions and swaps of two neighbouring
     * characters that turn {@code a} into {@code b} (optimal string alignment distance: {@code "lien"} is
     * one edit from {@code "line"}). Compares UTF-16 chars, exactly (case matters).
     */
    public static int editDistance(String a, String b) {
        int n = a.length();
        int m = b.length();
        // three rolling rows: the swap looks two rows back
        int[] before = new int[m + 1];
        int[] prev = new int[m + 1];
        int[] cur = new int[m + 1];
        for (int j = 0; j <= m; j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= n; i++) {
            cur[0] = i;
            for (int j = 1; j <= m; j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int d = Math.min(prev[j - 1] + cost, Math.min(prev[j], cur[j - 1]) + 1);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d = Math.min(d, before[j - 2] + 1);
                }
                cur[j] = d;
            }
            int[] t = before;
            before = prev;
            prev = cur;
            cur = t;
        }
        return prev[m];
    }
}
