package dev.rewind.kernel.image;

import java.util.Locale;

/** The driver class a shadow driver understands ({@code shadow = "block"}, {@code "char"} or {@code "net"}). */
public enum ShadowClass {
    /** A block driver speaking the protocol of {@code <rewind/blk.h>}. */
    BLOCK,
    /** A character driver speaking the protocol of {@code <rewind/tty.h>}. */
    CHAR,
    /** A network-card driver speaking the protocol of {@code <rewind/nic.h>}. */
    NET;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ShadowClass parse(String s) {
        for (ShadowClass c : values()) {
            if (c.configName().equals(s)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown shadow class '" + s + "' (expected block, char or net)");
    }
}
