package dev.rewind.kernel;

/** The system image cannot be booted: a missing or malformed file, or a layout that does not fit. */
public class BootException extends Exception {
    public BootException(String message) {
        super(message);
    }

    public BootException(String message, Throwable cause) {
        super(message, cause);
    }
}
