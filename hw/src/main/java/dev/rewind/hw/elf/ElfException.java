package dev.rewind.hw.elf;

/**
 * An ELF file was rejected by {@link ElfImage#parse}. The message always names the file and the
 * problem, with the offending value in hex, e.g.
 * {@code "kv_server.elf: not an ELF file (bad magic 0x7f454c47)"}.
 */
public final class ElfException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String fileName;

    public ElfException(String fileName, String problem) {
        super(fileName + ": " + problem);
        this.fileName = fileName;
    }

    /** The name of the rejected file, as passed to {@link ElfImage#parse}. */
    public String fileName() {
        return fileName;
    }
}
