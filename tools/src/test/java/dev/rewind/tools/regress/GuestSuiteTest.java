package dev.rewind.tools.regress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rewind.tools.Fixtures;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The project's own guest regression suite (guest/suites/core.suite) as JUnit tests: each case
 * is a test of its own, run by the same runner as {@code rewind test}. The cases start (one at
 * a time, in the background) when the factory runs; each test waits for its own case.
 */
class GuestSuiteTest {
    @TestFactory
    List<DynamicTest> coreSuite() throws Exception {
        String spec = Fixtures.coreSuiteLocation();
        Suite suite = SuiteLoader.load(spec);
        assertFalse(suite.cases().size() < 20, "the core suite has at least 20 cases");
        // One case at a time: some guests are timing-sensitive (t_hostile has failed under CPU
        // contention), and the build's result must not depend on the load of the machine.
        // `rewind test` runs them on all cores.
        SuiteRunner runner = new SuiteRunner(1, new CaseRunner(0));
        List<CompletableFuture<CaseResult>> running = runner.start(suite.cases());
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < suite.cases().size(); i++) {
            TestCase c = suite.cases().get(i);
            CompletableFuture<CaseResult> result = running.get(i);
            URI where = spec.startsWith(SuiteLoader.BUILTIN_PREFIX)
                    ? null
                    : URI.create(Path.of(spec).toUri() + "?line=" + c.line());
            tests.add(DynamicTest.dynamicTest(c.name(), where, () -> {
                long limit = runner.caseRunner().timeoutOf(c) + CaseRunner.GRACE_NANOS + 60_000_000_000L;
                CaseResult r = result.get(limit, TimeUnit.NANOSECONDS);
                Assumptions.assumeFalse(r.status() == CaseResult.Status.SKIP, r::message);
                if (r.status() != CaseResult.Status.PASS) {
                    fail(c.fullName() + " " + r.status() + ":\n  "
                            + String.join("\n  ", TerminalReporter.details(r, TerminalReporter.TAIL_LINES)));
                }
                assertEquals(List.of(), r.failures());
            }));
        }
        return tests;
    }
}
