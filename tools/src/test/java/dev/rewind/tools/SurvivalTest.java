package dev.rewind.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The application-survival table: every application runs normally under shadow while its
 * driver is killed three times. Under none no application does; under restart, none of those
 * that talk to the driver directly does (the file-system apps do, because the file system
 * server itself re-opens its block session and retries its commit when the driver restarts).
 */
class SurvivalTest {
    @Test
    void everyApplicationSurvivesItsDriverFailuresOnlyUnderShadow() {
        CliRun.Result r = CliTest.rewind("survival");
        assertEquals(0, r.status(), r::toString);
        List<String> rows = r.out().lines().filter(l -> l.matches("^\\S.*\\s(blk|tty)\\s.*")).toList();
        assertEquals(6, rows.size(), r::toString);
        for (String row : rows) {
            assertTrue(row.strip().endsWith("runs normally"), row);
            String[] cells = row.split("\\s{2,}");
            assertEquals("3", cells[2].strip(), "three driver failures were injected: " + row);
            assertTrue(!cells[3].contains("runs normally"), "the failures are visible without recovery: " + row);
            if (!row.startsWith("fs_")) {
                assertTrue(!cells[4].contains("runs normally"), "a restart is visible to direct clients: " + row);
            }
        }
    }
}
