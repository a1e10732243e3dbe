package dev.rewind.tools.disk;

import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.image.DeviceSpec;
import dev.rewind.kernel.image.Manifest;
import dev.rewind.tools.HostFiles;
import dev.rewind.tools.Printable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The {@code --disk [DEVICE=]FILE} option of {@code rewind boot} and {@code rewind inject}. */
public final class DiskArgs {
    private DiskArgs() {}

    /**
     * Binds {@code --disk [DEVICE=]FILE} arguments to the block devices of {@code m}: each file
     * must exist and be readable (and writable when {@code write}: {@code rewind boot} writes
     * into it), one per device, no file twice. Errors are IllegalArgumentExceptions whose message
     * is the one line the CLI prints.
     */
    public static KernelConfig attach(KernelConfig cfg, Manifest m, List<String> disks, boolean write) {
        List<DeviceSpec> blocks = m.devices().stream()
                .filter(d -> d.kind() == DeviceSpec.Kind.BLOCK)
                .toList();
        java.util.Map<String, String> bound = new java.util.HashMap<>();
        java.util.Map<Path, String> realPaths = new java.util.HashMap<>();
        for (String arg : disks) {
            int eq = arg.indexOf('=');
            String dev;
            String file;
            if (eq > 0) {
                dev = arg.substring(0, eq);
                file = arg.substring(eq + 1);
                if (blocks.stream().noneMatch(d -> d.name().equals(dev))) {
                    throw new IllegalArgumentException(
                            "--disk " + arg + ": image '" + m.name() + "' has no block device '"
                                    + dev + "' (block devices: "
                                    + (blocks.isEmpty()
                                            ? "none"
                                            : String.join(
                                                    ", ",
                                                    blocks.stream()
                                                            .map(DeviceSpec::name)
                                                            .toList()))
                                    + ")");
                }
            } else {
                if (blocks.isEmpty()) {
                    throw new IllegalArgumentException("--disk: image '" + m.name() + "' has no block device");
                }
                if (blocks.size() > 1) {
                    throw new IllegalArgumentException("--disk: image '" + m.name()
                            + "' has several block devices; write" + " --disk DEVICE=FILE");
                }
                dev = blocks.get(0).name();
                file = arg;
            }
            String before = bound.put(dev, arg);
            if (before != null) {
                throw new IllegalArgumentException("--disk: block device '" + Printable.escape(dev)
                        + "' is given twice (" + Printable.escape(before) + " and " + Printable.escape(arg) + ")");
            }
            if (file.isEmpty()) {
                throw new IllegalArgumentException("--disk " + Printable.escape(arg)
                        + ": no file name (write --disk [DEVICE=]FILE, e.g. --disk disk.img)");
            }
            Path p;
            try {
                p = Path.of(file);
            } catch (java.nio.file.InvalidPathException e) {
                throw new IllegalArgumentException("--disk: not a file name: '" + Printable.escape(file) + "'");
            }
            if (!Files.exists(p) && !Files.isSymbolicLink(p)) {
                throw new IllegalArgumentException("--disk: no disk image at " + Printable.escape(file)
                        + " (create one with 'rewind disk format " + Printable.escape(file) + " --size 8M')");
            }
            if (write) {
                HostFiles.checkReadWrite(p, "--disk");
            } else if (!Files.isReadable(p) || Files.isDirectory(p)) {
                throw new IllegalArgumentException("--disk: cannot read the disk image " + Printable.escape(file));
            }
            // Two devices on one file would overwrite each other's sectors.
            String same = realPaths.put(realPath(p), dev);
            if (same != null) {
                throw new IllegalArgumentException("--disk: block devices '" + Printable.escape(same) + "' and '"
                        + Printable.escape(dev) + "' are given the same file " + Printable.escape(file));
            }
            cfg = cfg.withDisk(dev, p);
        }
        return cfg;
    }

    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }
}
