package dev.rewind.tools.regress;

import dev.rewind.tools.Printable;

/** A suite that cannot be used: the message names the file and, where there is one, the line. */
public final class SuiteException extends Exception {
    private final String file;
    private final int line;
    private final String problem;

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

    /** The problem without the file and line. */
    public String problem() {
        return problem;
    }
}
