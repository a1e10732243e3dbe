package dev.rewind.hw.mem;

/** The machine has no free run of physical frames of the requested size. */
public class OutOfMemoryException extends RuntimeException {
    public OutOfMemoryException(String message) {
        super(message);
    }
}
