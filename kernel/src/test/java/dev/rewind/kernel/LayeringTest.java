package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.cpu.RiscvCpu;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering, checked on the compiled classes (every class a class refers to is named in its
 * constant pool, so this sees imports, fully qualified names, lambdas' target types and method
 * signatures alike): the kernel never names the Unicorn binding or JNA, only hw's CPU, memory
 * and device interfaces; hw never names the kernel; the kernel's core (every package of it but
 * the debugger's and the probes') never names the debugger or the probes, which are built on it.
 */
class LayeringTest {
    /** Each class file under the code source of {@code anchor} (a folder or a jar), with its bytes. */
    static List<Object[]> classes(Class<?> anchor) throws IOException, URISyntaxException {
        Path src = Path.of(
                anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Object[]> out = new ArrayList<>();
        if (Files.isDirectory(src)) {
            try (Stream<Path> s = Files.walk(src)) {
                for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".class"))::iterator) {
                    out.add(new Object[] {src.relativize(p).toString(), Files.readAllBytes(p)});
                }
            }
        } else {
            try (JarFile jar = new JarFile(src.toFile())) {
                for (JarEntry e : java.util.Collections.list(jar.entries())) {
                    if (e.getName().endsWith(".class")) {
                        try (InputStream in = jar.getInputStream(e)) {
                            out.add(new Object[] {e.getName(), in.readAllBytes()});
                        }
                    }
                }
            }
        }
        assertTrue(out.size() > 10, "found the classes of " + src);
        return out;
    }

    static List<String> offenders(List<Object[]> classes, String packagePrefix, String... forbidden) {
        List<String> bad = new ArrayList<>();
        for (Object[] c : classes) {
            String name = (String) c[0];
            if (!name.replace('\\', '/').startsWith(packagePrefix)) {
                continue;
            }
            String text = new String((byte[]) c[1], StandardCharsets.ISO_8859_1);
            for (String f : forbidden) {
                if (text.contains(f)) {
                    bad.add(name + " refers to " + f);
                }
            }
        }
        return bad;
    }

    @Test
    void theKernelNeverNamesTheUnicornBindingOrJna() throws Exception {
        List<String> bad =
                offenders(classes(Kernel.class), "dev/rewind/kernel/", "dev/rewind/hw/unicorn/", "com/sun/jna/");
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }

    @Test
    void theKernelCoreNeverNamesTheDebuggerOrTheProbes() throws Exception {
        List<Object[]> core = new ArrayList<>();
        for (Object[] c : classes(Kernel.class)) {
            String name = ((String) c[0]).replace('\\', '/');
            if (!name.startsWith("dev/rewind/kernel/debug/") && !name.startsWith("dev/rewind/kernel/probe/")) {
                core.add(c);
            }
        }
        List<String> bad =
                offenders(core, "dev/rewind/kernel/", "dev/rewind/kernel/debug/", "dev/rewind/kernel/probe/");
        assertTrue(bad.isEmpty(), String.join("\n", bad));
        // and the check sees a reference where there is one
        assertTrue(!offenders(classes(Kernel.class), "dev/rewind/kernel/debug/", "dev/rewind/kernel/Kernel")
                .isEmpty());
    }

    @Test
    void hwNeverNamesTheKernelOrTheTools() throws Exception {
        List<String> bad =
                offenders(classes(RiscvCpu.class), "dev/rewind/hw/", "dev/rewind/kernel/", "dev/rewind/tools/");
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }

    @Test
    void onlyTheUnicornPackageNamesJna() throws Exception {
        List<Object[]> hw = classes(RiscvCpu.class);
        List<String> bad = new ArrayList<>();
        for (String pkg :
                new String[] {"dev/rewind/hw/cpu/", "dev/rewind/hw/mem/", "dev/rewind/hw/dev/", "dev/rewind/hw/elf/"}) {
            bad.addAll(offenders(hw, pkg, "com/sun/jna/"));
        }
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }
}
