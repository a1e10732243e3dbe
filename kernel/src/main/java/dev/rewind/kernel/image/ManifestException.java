package dev.rewind.kernel.image;

/**
 * A system manifest was rejected. The message has the form {@code "SOURCE:LINE: problem"}, e.g.
 * {@code "demo.toml:12: task 'kv': unknown recovery policy 'foo' (expected one of: none, restart)"};
 * the parts are also available separately.
 */
public final class ManifestException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String sourceName;
    private final int line;
    private final String problem;

    public ManifestException(String sourceName, int line, String problem) {
        this(sourceName, line, problem, null);
    }

    public ManifestException(String sourceName, int line, String problem, Throwable cause) {
        super(Manifest.escape(sourceName, 200) + ":" + line + ": " + Manifest.escape(problem, 4000), cause);
        this.sourceName = sourceName;
        this.line = line;
        this.problem = Manifest.escape(problem, 4000);
    }

    /** The manifest's name as given to the parser (the file name for {@link Manifest#load}). */
    public String sourceName() {
        return sourceName;
    }

    /** 1-based line of the offending key or table (1 for problems with the file as a whole). */
    public int line() {
        return line;
    }

    /** The problem, without the {@code SOURCE:LINE:} prefix. */
    public String problem() {
        return problem;
    }
}
