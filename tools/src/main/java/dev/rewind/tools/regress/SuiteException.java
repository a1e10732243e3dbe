package dev.rewind.tools.regress;

/** A suite that cannot be used: the message names the file and, where there is one, the line. */
public final class SuiteException extends Exception {
    private final String file;
    private final int line;
    private final String problem;

    public SuiteException(String file, int line, String problem) {
        super(line > 0 ? file + ":" + line + ": " + problem : file + ": " + problem);
        this.file = file;
        this.line = line;
        this.problem = problem;
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
