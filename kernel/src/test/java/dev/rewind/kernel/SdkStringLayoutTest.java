package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.elf.ElfImage;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The SDK's string functions lie on the first page of every program's text (guest/sdk/link.ld),
 * whatever the size of the program before them. The engine's translator ends a block at the end
 * of a 4 KiB page and chains blocks only within a page, so a loop of memmove that straddled a page
 * boundary took two block lookups and two block starts per iteration; where it fell depended on
 * the program's own code (an outside B-tree program at -O2: 2.08 M lookups against 0.79 M with
 * the functions moved; docs/PERFORMANCE.md, "A fifth outside probe").
 */
class SdkStringLayoutTest {
    private static final List<String> FUNCTIONS = List.of("memcpy", "memmove", "memset", "memcmp", "strlen");
    private static final long FIRST_TEXT_PAGE = 0x10000;

    @Test
    void everyPackagedProgramHasTheStringFunctionsOnItsFirstTextPage() throws Exception {
        List<String> bad = new ArrayList<>();
        int programs = 0, placed = 0;
        for (String name : SystemImage.builtinNames()) {
            if (!name.endsWith(".elf")) {
                continue;
            }
            byte[] bytes;
            try (InputStream in =
                    SystemImage.class.getClassLoader().getResourceAsStream(SystemImage.BUILTIN_FOLDER + "/" + name)) {
                assertNotNull(in, name);
                bytes = in.readAllBytes();
            }
            ElfImage elf;
            try {
                elf = ElfImage.parse(bytes, name);
            } catch (dev.rewind.hw.elf.ElfException e) {
                continue; // an image made to be refused (t_zfh_isa.elf)
            }
            if (elf.symbol("_start").orElse(-1) != FIRST_TEXT_PAGE) {
                continue; // not linked by the SDK's link.ld
            }
            programs++;
            for (ElfImage.Symbol s : elf.symbols()) {
                if (!s.function() || !FUNCTIONS.contains(s.name())) {
                    continue;
                }
                placed++;
                long first = s.address() >>> 12, last = (s.address() + Math.max(1, s.size()) - 1) >>> 12;
                if (first != FIRST_TEXT_PAGE >>> 12 || last != first) {
                    bad.add(name + ": " + s.name() + " at 0x" + Long.toHexString(s.address()) + "+0x"
                            + Long.toHexString(s.size()));
                }
            }
        }
        assertTrue(programs > 100, "packaged SDK programs: " + programs);
        assertTrue(placed >= programs, "string functions seen: " + placed + " in " + programs + " programs");
        assertTrue(
                bad.isEmpty(),
                () -> bad.size() + " off the first text page, e.g. " + bad.subList(0, Math.min(5, bad.size())));
    }
}
