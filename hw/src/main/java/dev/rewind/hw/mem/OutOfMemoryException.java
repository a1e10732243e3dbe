package dev.rewind.hw.mem;

/**
 * The machine has no free run of physical frames of the requested size, or the address space
 * holds as many regions as it may ({@link AddressSpace#MAX_REGIONS}).
 */
public class OutOfMemoryException extends RuntimeException {
    public OutOfMemoryException(String message) {
        super(message);
    }
}
