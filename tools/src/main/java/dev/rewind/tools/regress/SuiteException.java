package dev.rewind.tools.regress;

import dev.rewind.tools.Printable;
import java.util.List;

/** A suite that cannot be used: the message names the file and, where there is one, the line. */
public final class SuiteException extends Exception {
    private final String file;
    private final int line;
    private final String problem;
    private List<SuiteException> all = List.of(this);

    /** File and problem may hold user text: control characters in them are escaped (\\xNN). */
    public SuiteException(String file, int line, String problem) {
        super(
                line > 0
                        ? Printable.escape(file) + ":" + line + ": " + Printable.escape(problem)
                        : Printable.escape(file) + ": " + Printable.escape(problem));
        this.file = file;
        this.line = line;
        this.problem = Printable.escape(problem);
    }

    /** The suite file (or folder) as the user named it. */
    public String file() {
        return file;
    }

    /** The 1-based line, or 0 when the problem is not on one line. */
    public int line() {
        return line;
    }

    /**
     * Every problem found in the file, this one first: the parser reads on past a bad line, so
     * that one run of {@code rewind test} shows all of them (at most {@code SuiteParser.MAX_ERRORS},
     * the last of which then says how many more there were).
     */
    public List<SuiteException> all() {
        return all;
    }

    /** This problem with the others found after it (for {@link #all()}). */
    SuiteException withOthers(List<SuiteException> others) {
        List<SuiteException> l = new java.util.ArrayList<>();
        l.add(this);
        l.addAll(others);
        all = List.copyOf(l);
        return this;
    }

    /** The problem without the file and line. */
    public String problem() {
        return problem;
    }
}
