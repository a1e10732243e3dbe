package dev.rewind.hw.unicorn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.NativeLibrary;
import java.io.File;
import java.util.List;
import org.junit.jupiter.api.Test;

class JnaSetupTest {
    @Test
    void theLoaderFoldersAreNamedWithoutAskingLdconfig() {
        String path = JnaSetup.platformPath("Linux", System.getProperty("os.arch"));
        assertNotNull(path);
        List<String> dirs = List.of(path.split(File.pathSeparator));
        assertFalse(dirs.isEmpty());
        for (String d : dirs) {
            assertTrue(new File(d).isDirectory(), d);
        }
        if (System.getProperty("os.arch").equals("amd64") && new File("/usr/lib/x86_64-linux-gnu").isDirectory()) {
            assertTrue(dirs.contains("/usr/lib/x86_64-linux-gnu"), path);
        }
        assertNull(JnaSetup.platformPath("Mac OS X", "aarch64"));
    }

    @Test
    void theSettingIsMadeOnceAndLibcIsFoundByItsBareName() {
        JnaSetup.apply();
        String set = System.getProperty(JnaSetup.PLATFORM_PATH);
        assertNotNull(set);
        JnaSetup.apply();
        assertEquals(set, System.getProperty(JnaSetup.PLATFORM_PATH)); // a value already there is kept
        // What the binding loads by a bare name (HostMemory, prctl) resolves through those folders.
        assertNotNull(NativeLibrary.getInstance("c").getFunction("getpid"));
    }
}
