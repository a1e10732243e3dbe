package dev.rewind.tools.disk;

import dev.rewind.kernel.KernelConfig;
import dev.rewind.kernel.image.DeviceSpec;
import dev.rewind.kernel.image.Manifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Freshly formatted temporary disk images for the block devices of a manifest that were given
 * none, so that a system whose file system lives on a disk boots anywhere (the CLI without
 * {@code --disk}, regression suites, campaigns). Closing deletes them.
 */
public final class FreshDisks implements AutoCloseable {
    private final List<Path> files = new ArrayList<>();
    private final KernelConfig config;
    private final List<DeviceSpec> created = new ArrayList<>();

    /** Give every block device of {@code m} without a disk in {@code cfg} a fresh rwfs image of its manifest size. */
    public FreshDisks(Manifest m, KernelConfig cfg) {
        this(m, cfg, false);
    }

    /**
     * The same, and with {@code copyGiven} every disk {@code cfg} names is replaced by a
     * temporary copy of it, so that a boot never writes into the given file (a campaign boots
     * the system hundreds of times, each on the disk as the user gave it).
     */
    public FreshDisks(Manifest m, KernelConfig cfg, boolean copyGiven) {
        try {
            for (DeviceSpec d : m.devices()) {
                Path given = d.kind() == DeviceSpec.Kind.BLOCK ? cfg.disks().get(d.name()) : null;
                if (given != null && copyGiven) {
                    Path p = Files.createTempFile("rewind-" + d.name() + "-", ".img");
                    files.add(p);
                    Files.copy(given, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    cfg = cfg.withDisk(d.name(), p);
                } else if (d.kind() == DeviceSpec.Kind.BLOCK && given == null) {
                    Path p = Files.createTempFile("rewind-" + d.name() + "-", ".img");
                    files.add(p);
                    Rwfs.format(p, d.sizeBytes());
                    cfg = cfg.withDisk(d.name(), p);
                    created.add(d);
                }
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot create a temporary disk image: " + e.getMessage(), e);
        }
        this.config = cfg;
    }

    /** The configuration with every block device backed by a disk. */
    public KernelConfig config() {
        return config;
    }

    /** The devices that got a fresh disk. */
    public List<DeviceSpec> created() {
        return List.copyOf(created);
    }

    @Override
    public void close() {
        for (Path p : files) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // best effort: a temporary file
            }
        }
        files.clear();
    }
}
