package dev.rewind.kernel.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SuggestionsTest {
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "''|''|0",
                "abc|''|3",
                "''|abc|3",
                "abc|abc|0",
                "kitten|sitting|3",
                "lien|line|1",
                "ab|ba|1",
                "expekt|expect|1",
                "priorty|priority|1",
                "prority|priority|1",
                "quantum|quantum_ms|3",
                "ca|abc|3",
                "abcdef|badcfe|3",
                "Line|line|1",
                "hell|hello|1"
            })
    void distances(String a, String b, int d) {
        assertEquals(d, Suggestions.editDistance(a, b));
        assertEquals(d, Suggestions.editDistance(b, a), "symmetric");
    }

    private static final List<String> KEYS = List.of(
            "image",
            "priority",
            "stack",
            "heap",
            "serves",
            "uses",
            "notifications",
            "recovery",
            "runaway_ms",
            "deadline_ms",
            "max_aborts",
            "abort_window_ms");

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "priorty|priority",
                "prio|priority",
                "stak|stack",
                "hepa|heap",
                "imgae|image",
                "sevres|serves",
                "notification|notifications",
                "recovery_policy|recovery",
                "runaway|runaway_ms",
                "max_abort|max_aborts",
                "abort_windows_ms|abort_window_ms",
                "abort_widnow|abort_window_ms",
                "heaps|heap"
            })
    void nearMissesAreSuggested(String word, String expected) {
        assertEquals(Optional.of(expected), Suggestions.closest(word, KEYS));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {"color", "x", "ab", "zzzzz", "''", "imag_stack", "he", "us"})
    void farWordsGetNoSuggestion(String word) {
        assertEquals(Optional.empty(), Suggestions.closest(word, KEYS));
    }

    @Test
    void theNearestWinsAndTheFirstOnATie() {
        assertEquals(Optional.of("line"), Suggestions.closest("lien", List.of("lines", "line")));
        assertEquals(Optional.of("cat"), Suggestions.closest("cot", List.of("cat", "cut")));
        assertEquals(Optional.of("cut"), Suggestions.closest("cot", List.of("cut", "cat")));
    }

    @Test
    void shortWordsNeedACloseMatch() {
        assertEquals(Optional.of("tag"), Suggestions.closest("tg", List.of("tag")));
        assertEquals(Optional.empty(), Suggestions.closest("ab", List.of("tag")));
        assertEquals(Optional.of("tags"), Suggestions.closest("tagz", List.of("tags")));
    }

    @Test
    void theWordItselfIsNeverSuggested() {
        assertEquals(Optional.empty(), Suggestions.closest("stack", List.of("stack")));
        assertEquals(Optional.of("stacks"), Suggestions.closest("stack", List.of("stack", "stacks")));
    }

    @Test
    void caseMatters() {
        assertEquals(Optional.of("LINE"), Suggestions.closest("LIEN", List.of("line", "LINE")));
    }

    @Test
    void longWordsAreCheap() {
        String w = "x".repeat(100_000);
        assertEquals(Optional.empty(), Suggestions.closest(w, KEYS));
        assertEquals(Optional.of("stack"), Suggestions.closest("stack" + "x".repeat(100_000), KEYS));
    }
}
