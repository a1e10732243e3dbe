package dev.rewind.hw.unicorn;

/** A Unicorn call failed, or the Unicorn library could not be loaded. */
public class UnicornException extends RuntimeException {
    private final int code;

    public UnicornException(String message) {
        this(-1, message, null);
    }

    public UnicornException(int code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The uc_err code, or -1 when the error did not come from a Unicorn call. */
    public int code() {
        return code;
    }
}
