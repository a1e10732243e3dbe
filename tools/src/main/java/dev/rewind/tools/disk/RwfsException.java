package dev.rewind.tools.disk;

/**
 * A file is not a usable rwfs disk image (not formatted, corrupt, too small...), or a tree cannot
 * be stored in one (bad path, file too large, snapshot too large). The message is one line meant
 * for the user. It is an {@link IllegalArgumentException} so that the CLI reports it as a bad
 * input (exit status 2).
 */
public class RwfsException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public RwfsException(String message) {
        super(message);
    }
}
