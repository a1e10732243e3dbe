package dev.rewind.hw.mem;

/** Page permission bits (the same values Unicorn uses). */
public final class Perm {
    public static final int NONE = 0;
    public static final int READ = 1;
    public static final int WRITE = 2;
    public static final int EXEC = 4;
    public static final int RW = READ | WRITE;
    public static final int RX = READ | EXEC;

    private Perm() {}

    /** "rwx"-style text, e.g. "r-x". */
    public static String toString(int perms) {
        return ((perms & READ) != 0 ? "r" : "-")
                + ((perms & WRITE) != 0 ? "w" : "-")
                + ((perms & EXEC) != 0 ? "x" : "-");
    }
}
