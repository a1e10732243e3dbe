package dev.rewind.kernel;

import dev.rewind.hw.dev.Device;
import dev.rewind.hw.dev.DmaPort;
import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.kernel.image.DeviceSpec;

/**
 * A device as the kernel sees it: the hardware model, the task that owns (drives) it, where its
 * registers are mapped in that task, and the notification its interrupt is delivered to.
 *
 * <p>The device's DMA goes through an IOMMU whose page table is the owner's address space:
 * {@link #dma} translates bus addresses as the owner's virtual addresses and refuses anything
 * the owner could not itself read or write.
 */
public final class BoundDevice {
    final DeviceSpec spec;
    final Device device;
    final Task owner;
    final long base;
    final Notification irq;
    /** The interrupt bit the device's line sets in {@link #irq}. */
    static final long IRQ_BIT = 1;

    BoundDevice(DeviceSpec spec, Device device, Task owner, long base) {
        this.spec = spec;
        this.device = device;
        this.owner = owner;
        this.base = base;
        this.irq = new Notification(spec.name(), owner);
    }

    public String name() {
        return spec.name();
    }

    public Device device() {
        return device;
    }

    public Task owner() {
        return owner;
    }

    /** Map the registers into the owner's (new) CPU and point the device's DMA at its memory. */
    void attachTo(Task t) {
        t.cpu().mapDevice(device, base);
        AddressSpace space = t.cpu().memory();
        device.setDma(new DmaPort() {
            @Override
            public boolean read(long addr, byte[] dst, int off, int len) {
                return space.read(addr, dst, off, len); // all or nothing: checks the whole range first
            }

            @Override
            public boolean write(long addr, byte[] src, int off, int len) {
                return space.write(addr, src, off, len); // likewise, and needs WRITE
            }
        });
    }
}
