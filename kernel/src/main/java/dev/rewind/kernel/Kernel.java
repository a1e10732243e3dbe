package dev.rewind.kernel;

import dev.rewind.abi.Abi;
import dev.rewind.hw.cpu.Arch;
import dev.rewind.hw.cpu.Cause;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.Exit;
import dev.rewind.hw.cpu.FaultLocator;
import dev.rewind.hw.cpu.MemFault;
import dev.rewind.hw.dev.BlockDevice;
import dev.rewind.hw.dev.Device;
import dev.rewind.hw.dev.DeviceBus;
import dev.rewind.hw.dev.HostForward;
import dev.rewind.hw.dev.NetBackend;
import dev.rewind.hw.dev.NetDevice;
import dev.rewind.hw.dev.NetOptions;
import dev.rewind.hw.dev.TimerDevice;
import dev.rewind.hw.dev.Uart;
import dev.rewind.hw.dev.UartDevice;
import dev.rewind.hw.elf.ElfException;
import dev.rewind.hw.elf.ElfImage;
import dev.rewind.hw.mem.AddressSpace;
import dev.rewind.hw.mem.OutOfMemoryException;
import dev.rewind.hw.mem.Perm;
import dev.rewind.hw.mem.PhysicalMemory;
import dev.rewind.kernel.image.DeviceSpec;
import dev.rewind.kernel.image.Manifest;
import dev.rewind.kernel.image.TaskLimit;
import dev.rewind.kernel.image.TaskSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The microkernel: boots a system image into tasks and runs them on one emulated hart.
 *
 * <p>Contract. The kernel owns every task, endpoint and notification; all of its state is
 * touched only by the thread that calls {@link #run()} (Unicorn's hooks run on that thread
 * too). The watchdog thread only stops the running CPU. Tasks run one at a time: a task runs
 * until it blocks in a syscall, yields, is preempted by the watchdog, or faults. A fault is
 * attributed to the task, logged with its PC and cause, and handled by the task's recovery
 * policy ({@code none}: the task is dead and its callers get EDEAD; {@code restart}: it is
 * reloaded from its image with a new generation).
 *
 * <p>Syscalls are in {@link Syscalls}, IPC and notifications in {@link Ipc}.
 */
public final class Kernel implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Kernel.class);
    static final long PAGE = PhysicalMemory.PAGE_SIZE;

    final KernelConfig config;
    final Manifest manifest;
    final PhysicalMemory ram;
    final Uart console;
    /** The console's input for CONSOLE_READ, or null: none (every read is the end of the input). */
    volatile ConsoleInput consoleInput;

    final KernelObserver observer;
    /** The observer wants the timeline callbacks (slices, calls, requests, replies). */
    final boolean timeline;

    final List<Task> tasks = new ArrayList<>();
    final Map<String, Endpoint> endpoints = new HashMap<>();
    final Map<String, Notification> notifications = new HashMap<>();
    /** The machine's devices, in manifest order, and the bus that polls them. */
    final List<BoundDevice> devices = new ArrayList<>();

    final DeviceBus bus = new DeviceBus();
    final Scheduler scheduler = new Scheduler();
    /** Tasks in WAIT_ANY with a timeout, the soonest first. */
    private final java.util.PriorityQueue<Task> sleepers =
            new java.util.PriorityQueue<>(java.util.Comparator.comparingLong(Task::wakeAt));

    final Syscalls syscalls;
    final Ipc ipc;
    final long bootNanos = System.nanoTime();
    /** WALL_CLOCK at boot: nanoseconds since the Unix epoch ({@link #setWallClockAtBoot}). */
    private volatile long wallAtBoot = epochNanos(java.time.Instant.now());
    /** Time a debugger kept the system stopped ({@link #debuggerHeld}): not in the run's time. */
    private volatile long heldNanos;

    private final ImageSource source;
    private volatile Watchdog watchdog;

    /** An attached tool (fault injector, profiler), or null. */
    KernelProbe probe;

    /** The attached debugger (dev.rewind.kernel.debug), or null. See {@link #attachDebugger}. */
    private Debugger debugger;

    /** The task on the CPU, or null between slices. */
    Task current;
    /** Set by a syscall that made a more important task ready: stop the current one after it. */
    boolean preemptCurrent;

    /** The system's architecture: every task's image is built for it (set by {@link #boot}). */
    private Arch arch;

    public Kernel(KernelConfig config, Manifest manifest, ImageSource source, Uart console, KernelObserver observer)
            throws BootException {
        String tooMany = TaskLimit.check(manifest, config.ramBytes()); // before anything is allocated
        if (tooMany != null) {
            throw new BootException(tooMany);
        }
        this.config = config;
        this.manifest = manifest;
        this.source = source;
        this.console = console;
        this.observer = observer == null ? new KernelObserver() {} : observer;
        this.timeline = this.observer.wantsTimeline();
        this.ram = new PhysicalMemory(config.ramBytes());
        this.syscalls = new Syscalls(this);
        this.ipc = new Ipc(this);
        try {
            boot();
        } catch (BootException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Attach a probe (before {@link #run()}). */
    public void setProbe(KernelProbe probe) {
        this.probe = probe;
    }

    /**
     * Count time slices in syscalls (before {@link #run()}; fault-injection campaigns): in a
     * system without devices or sleeping tasks, a slice ends at its task's {@link
     * #SLICE_SYSCALLS}-th syscall that did not block while another task is ready, and by CPU
     * time only after {@link #COUNTED_BACKSTOP_NANOS}, instead of at its quantum of CPU time.
     * Clients of equal priority that call a server then take turns at their calls in every boot:
     * a quantum that ran out in the middle of a client's work (its code translated for the first
     * time, the host loaded) put another client's request first in some boots and not others, so
     * that a campaign's seed, which names a request by its number, struck another request in its
     * replay. With devices or sleepers the quantum stays as it is: the kernel polls devices and
     * ends timed waits between slices.
     */
    public void setCountedSlices(boolean on) {
        this.countedSlices = on;
    }

    /** Syscalls that did not block after which a counted slice ends ({@link #setCountedSlices}). */
    public static final int SLICE_SYSCALLS = 64;

    /** CPU time after which a counted slice ends all the same: a task that makes no syscalls. */
    public static final long COUNTED_BACKSTOP_NANOS = 1_000_000_000L;

    private boolean countedSlices;

    /**
     * Attach {@code d} (before {@link #run()}; at most one): the run loop then picks tasks
     * through it and tells it of syscalls and faults. Returns the kernel's surface for it.
     */
    public DebugPort attachDebugger(Debugger d) {
        if (debugger != null) {
            throw new IllegalStateException("a debugger is already attached to this kernel");
        }
        debugger = java.util.Objects.requireNonNull(d);
        return new DebugPort(this);
    }

    public List<Task> tasks() {
        return List.copyOf(tasks);
    }

    /** The system's architecture (a system has one: every image is built for it). */
    public Arch arch() {
        return arch;
    }

    /**
     * Gives the programs' CONSOLE_READ (their stdin) {@code in}; without it every read is the end
     * of the input. For an image without a UART, which would take the console's input itself.
     */
    public void setConsoleInput(ConsoleInput in) {
        consoleInput = in;
    }

    /**
     * The time of day the guests' WALL_CLOCK gives for the moment the system booted (by default
     * the host's); it then advances with the monotonic clock. Fixed, it makes a program that
     * prints the date give the same output in every run.
     */
    public void setWallClockAtBoot(java.time.Instant at) {
        wallAtBoot = epochNanos(at);
    }

    /** {@code at} in nanoseconds since the Unix epoch; an instant past what 64 bits hold is refused. */
    static long epochNanos(java.time.Instant at) {
        return Math.addExact(Math.multiplyExact(at.getEpochSecond(), 1_000_000_000L), at.getNano());
    }

    /** WALL_CLOCK: nanoseconds since the Unix epoch. */
    long wallClock() {
        return wallAtBoot + now();
    }

    /** The machine's devices, in manifest order. */
    public List<BoundDevice> devices() {
        return List.copyOf(devices);
    }

    /**
     * The machine's first UART device, which takes the console's input (its driver reads it),
     * or null: then the programs' stdin does ({@link #setConsoleInput}).
     */
    public UartDevice consoleUart() {
        for (BoundDevice bd : devices) {
            if (bd.device() instanceof UartDevice u) {
                return u;
            }
        }
        return null;
    }

    public Task task(String name) {
        for (Task t : tasks) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("no task named " + name);
    }

    // ---- boot ------------------------------------------------------------------------------

    /**
     * The first image decides the system's architecture unless the manifest names it; every
     * other image must be built for the same one.
     */
    private void checkArch(TaskSpec spec, ElfImage image) throws BootException {
        Arch a = Arch.ofElfMachine(image.machine());
        if (a == null) {
            throw new BootException(
                    "task '" + spec.name() + "': " + spec.image() + ": no CPU for ELF machine " + image.machine());
        }
        if (arch == null && manifest.arch() != null) {
            arch = Arch.named(manifest.arch());
        }
        if (arch == null) {
            arch = a;
            archDecidedBy = spec;
        } else if (a != arch) {
            throw new BootException(String.format(
                    "task '%s': %s is built for %s, but %s; a system has one architecture",
                    spec.name(),
                    spec.image(),
                    a,
                    archDecidedBy == null
                            ? "the manifest says arch = \"" + arch + "\""
                            : "task '" + archDecidedBy.name() + "' (" + archDecidedBy.image() + ") is built for "
                                    + arch));
        }
    }

    private TaskSpec archDecidedBy;

    private void boot() throws BootException {
        // Tasks that run the same image share one (immutable) parsed copy of it.
        Map<String, ElfImage> parsed = new HashMap<>();
        for (TaskSpec spec : manifest.tasks()) {
            ElfImage image = parsed.get(spec.image());
            if (image == null) {
                byte[] bytes;
                try {
                    bytes = source.read(spec.image());
                } catch (IOException e) {
                    throw new BootException(
                            "task '" + spec.name() + "': cannot read image " + source.describe(spec.image()) + ": "
                                    + (e instanceof java.nio.file.FileSystemException f && f.getReason() != null
                                            ? f.getReason() // (its message repeats the file's name)
                                            : e.getMessage()),
                            e);
                }
                try {
                    image = ElfImage.parse(bytes, spec.image());
                } catch (ElfException e) {
                    throw new BootException("task '" + spec.name() + "': " + e.getMessage(), e);
                }
                parsed.put(spec.image(), image);
                checkArch(spec, image);
            }
            Task t = new Task(spec, tasks.size(), image);
            tasks.add(t);
            for (String ep : spec.serves()) {
                endpoints.put(ep, new Endpoint(ep, t));
            }
            for (String n : spec.notifications()) {
                notifications.put(n, new Notification(n, t));
            }
        }
        createDevices();
        for (Task t : tasks) {
            List<Capability> caps = new ArrayList<>();
            for (BoundDevice bd : t.devices()) {
                caps.add(new Capability(bd.name(), Capability.Kind.DEVICE, null, bd.irq, 0, 0, bd));
            }
            for (String ep : t.spec().serves()) {
                caps.add(new Capability(ep, Capability.Kind.ENDPOINT_RECV, endpoints.get(ep), null, 0, 0));
            }
            for (String n : t.spec().notifications()) {
                caps.add(new Capability(n, Capability.Kind.NOTIFY_WAIT, null, notifications.get(n), 0, 0));
            }
            for (String u : t.spec().uses()) {
                Endpoint ep = endpoints.get(u);
                if (ep != null) {
                    caps.add(new Capability(
                            u, Capability.Kind.ENDPOINT_SEND, ep, null, t.index() + 1L, ep.server.generation()));
                } else {
                    Notification n = notifications.get(u);
                    if (n == null) {
                        throw new BootException("task '" + t.name() + "' uses '" + u + "', which nothing provides");
                    }
                    caps.add(new Capability(u, Capability.Kind.NOTIFY_SIGNAL, null, n, t.index() + 1L, 0));
                }
            }
            t.grant(caps);
        }
        for (Task t : tasks) {
            t.recoverBy(Recovery.of(this, t));
            if (t.recovery() instanceof Shadow) {
                watched.add(t);
            }
            load(t);
            scheduler.enqueue(t);
        }
        log.info(
                "booted '{}': {} tasks, {} endpoints, {} MiB RAM",
                manifest.name(),
                tasks.size(),
                endpoints.size(),
                config.ramBytes() >> 20);
    }

    /** Create the manifest's devices and bind each to its owner task. */
    private void createDevices() throws BootException {
        for (String name : config.disks().keySet()) {
            boolean known = manifest.devices().stream()
                    .anyMatch(d -> d.name().equals(name) && d.kind() == DeviceSpec.Kind.BLOCK);
            if (!known) {
                throw new BootException("image '" + manifest.name() + "' has no block device named '" + name + "'");
            }
        }
        int i = 0;
        int nets = 0;
        for (DeviceSpec spec : manifest.devices()) {
            Task owner = manifest.ownerOfDevice(spec.name())
                    .map(o -> task(o.name()))
                    .orElseThrow(() -> new BootException("device '" + spec.name() + "' has no owner task"));
            Device dev = switch (spec.kind()) {
                case UART -> {
                    UartDevice u = new UartDevice(spec.name(), console, this::now);
                    u.setLoopback(spec.loopback());
                    u.setWakeup(bus::signal);
                    yield u;
                }
                case TIMER -> new TimerDevice(spec.name(), this::now);
                case BLOCK -> openDisk(spec);
                case NET -> newNic(spec, nets++);
            };
            bus.add(dev);
            if (dev instanceof NetDevice n) {
                startNic(n); // after bus.add: a failed boot closes what was started
            }
            BoundDevice bd = new BoundDevice(spec, dev, owner, Abi.MMIO_BASE + i * Abi.MMIO_STRIDE);
            dev.attach(() -> ipc.signal(bd.irq, BoundDevice.IRQ_BIT));
            owner.bind(bd);
            devices.add(bd);
            i++;
        }
    }

    /**
     * The {@code index}-th net device: its MAC (the manifest's, else 52:54:00:12:34:56 + index)
     * and its host backend (the first gets {@link KernelConfig#net}, the others no forwards; each
     * adds its manifest {@code guestfwd} rules, after --net's for the first).
     */
    private NetDevice newNic(DeviceSpec spec, int index) throws BootException {
        NetBackend backend;
        try {
            NetOptions opts = (index == 0
                            ? config.net()
                            : new NetOptions(config.net().restricted(), List.of()))
                    .withGuestForwards(spec.guestForwards());
            backend = config.netBackends() != null
                    ? config.netBackends().create(spec.name(), opts)
                    : NetBackend.userMode(spec.name(), opts);
        } catch (RuntimeException e) {
            throw new BootException("device '" + spec.name() + "': " + e.getMessage(), e);
        }
        long mac = spec.mac() != DeviceSpec.NO_MAC ? spec.mac() : NetDevice.defaultMac(index);
        NetDevice n = new NetDevice(spec.name(), mac, backend);
        n.setWakeup(bus::signal);
        return n;
    }

    private void startNic(NetDevice n) throws BootException {
        try {
            n.start();
        } catch (RuntimeException e) {
            throw new BootException("device '" + n.name() + "': " + e.getMessage(), e);
        }
        for (HostForward f :
                n.backend() == null ? List.<HostForward>of() : n.backend().forwards()) {
            log.info("device {}: forwarding {}", n.name(), f);
        }
    }

    /**
     * The host forwards actually bound, by net device name (manifest order); a forward asked for
     * host port 0 shows the port the host picked.
     */
    public Map<String, List<HostForward>> netForwards() {
        Map<String, List<HostForward>> m = new LinkedHashMap<>();
        for (BoundDevice bd : devices) {
            if (bd.device instanceof NetDevice n) {
                m.put(bd.name(), n.backend() == null ? List.of() : n.backend().forwards());
            }
        }
        return m;
    }

    private Device openDisk(DeviceSpec spec) throws BootException {
        Path file = config.disks().get(spec.name());
        try {
            if (file != null) {
                BlockDevice b = BlockDevice.open(spec.name(), file);
                log.info("device {}: disk image {} ({} KiB)", spec.name(), file, Files.size(file) >> 10);
                return b;
            }
            log.info(
                    "device {}: no disk image given; using a blank {} KiB disk in memory (lost at exit)",
                    spec.name(),
                    spec.sizeBytes() >> 10);
            return BlockDevice.inMemory(spec.name(), spec.sizeBytes());
        } catch (IOException e) {
            throw new BootException("device '" + spec.name() + "': " + e.getMessage(), e);
        }
    }

    /** Give {@code t} a fresh CPU and address space loaded from its image. */
    private void load(Task t) throws BootException {
        TaskSpec spec = t.spec();
        long stackBottom = Abi.STACK_TOP - spec.stackBytes();
        long limit = stackBottom - PAGE; // a guard page below the stack
        Cpu cpu = arch.newCpu(ram);
        try {
            if (t.image().usesFloatingPoint()) {
                cpu.enableFloatingPoint();
            }
            AddressSpace space = cpu.memory();
            long top = Abi.LOAD_MIN;
            int n = 0;
            byte[] file = null;
            for (ElfImage.Segment seg : t.image().segments()) {
                if (seg.memSize() == 0) {
                    continue;
                }
                long start = seg.vaddr() & -PAGE;
                long end = (seg.vaddr() + seg.memSize() + PAGE - 1) & -PAGE;
                if (start < Abi.LOAD_MIN || end > limit) {
                    throw new BootException(String.format(
                            "task '%s': %s: segment [0x%x, 0x%x) lies outside the loadable range [0x%x, 0x%x)",
                            t.name(), spec.image(), seg.vaddr(), seg.vaddr() + seg.memSize(), Abi.LOAD_MIN, limit));
                }
                BoundDevice hit = deviceWindowIn(t, start, end);
                if (hit != null) {
                    throw new BootException(String.format(
                            "task '%s': %s: segment [0x%x, 0x%x) overlaps the registers of "
                                    + "device '%s' at [0x%x, 0x%x)",
                            t.name(),
                            spec.image(),
                            seg.vaddr(),
                            seg.vaddr() + seg.memSize(),
                            hit.name(),
                            hit.base,
                            hit.base + Device.MMIO_SIZE));
                }
                int perms =
                        (seg.read() ? Perm.READ : 0) | (seg.write() ? Perm.WRITE : 0) | (seg.exec() ? Perm.EXEC : 0);
                try {
                    space.map("segment" + n++, start, end - start, perms);
                } catch (IllegalArgumentException e) {
                    throw new BootException(String.format(
                            "task '%s': %s: segment at 0x%x shares a page with another "
                                    + "segment; link with page-aligned segments (the SDK's link.ld does)",
                            t.name(), spec.image(), seg.vaddr()));
                }
                // From one copy of the file (its segments' bounds were checked when it was parsed):
                // segmentBytes would look the segment up with a record equals, whose first call
                // costs a cold JVM 50-150 ms of method-handle set-up (issue 12, start-up).
                if (file == null) {
                    file = t.image().fileBytes();
                }
                space.write(seg.vaddr(), file, (int) seg.fileOffset(), (int) seg.fileSize(), Perm.NONE);
                top = Math.max(top, end);
            }
            if (top + spec.heapBytes() > limit) {
                throw new BootException(String.format(
                        "task '%s': image end 0x%x + heap %d bytes collides with the stack at 0x%x",
                        t.name(), top, spec.heapBytes(), stackBottom));
            }
            for (long[] r :
                    new long[][] {{stackBottom, Abi.STACK_TOP}, {Abi.IPC_BUF_ADDR, Abi.IPC_BUF_ADDR + Abi.IPC_BUF_SIZE}
                    }) {
                BoundDevice hit = deviceWindowIn(t, r[0], r[1]);
                if (hit != null) {
                    throw new BootException(String.format(
                            "task '%s': its %s [0x%x, 0x%x) overlaps the registers of device '%s' " + "at [0x%x, 0x%x)",
                            t.name(),
                            r[0] == stackBottom ? "stack" : "IPC buffer",
                            r[0],
                            r[1],
                            hit.name(),
                            hit.base,
                            hit.base + Device.MMIO_SIZE));
                }
            }
            space.map("stack", stackBottom, spec.stackBytes(), Perm.RW);
            space.map("ipc", Abi.IPC_BUF_ADDR, Abi.IPC_BUF_SIZE, Perm.RW);
            cpu.setReg(cpu.arch().sp(), Abi.STACK_TOP);
            t.loaded(cpu, t.image().entry(), top);
            for (BoundDevice bd : t.devices()) {
                bd.attachTo(t);
            }
            t.recovery().loaded();
        } catch (OutOfMemoryException e) {
            cpu.close();
            throw new BootException("task '" + t.name() + "': " + e.getMessage()
                    + (e.getMessage().startsWith("out of physical memory")
                            ? " (raise the machine's RAM: rewind boot --ram)"
                            : ""));
        } catch (BootException | RuntimeException e) {
            cpu.close();
            throw e;
        }
    }

    /** The first of {@code t}'s device-register windows that overlaps [start, end), or null. */
    private static BoundDevice deviceWindowIn(Task t, long start, long end) {
        for (BoundDevice bd : t.devices()) {
            if (bd.base < end && start < bd.base + Device.MMIO_SIZE) {
                return bd;
            }
        }
        return null;
    }

    // ---- the run loop ----------------------------------------------------------------------

    /** Run until no task can run, or the budget is spent. */
    /**
     * Ask the running {@link #run} to end as soon as it can (the task on the CPU is stopped within
     * a millisecond, an idle kernel wakes): it returns {@link SystemResult.Outcome#STOPPED}. Any
     * thread may call it; for tests and tools done with a system that would run for ever (a
     * network server).
     */
    public void requestStop() {
        stopRequested = true;
        Watchdog w = watchdog;
        if (w != null) {
            w.endNow();
        }
        bus.signal();
    }

    private volatile boolean stopRequested;

    public SystemResult run() {
        int quantumMs = config.quantumMs() > 0 ? config.quantumMs() : manifest.quantumMs();
        watchdog = new Watchdog(quantumMs * 1_000_000L, config.budgetNanos());
        try {
            while (true) {
                if (stopRequested) {
                    return finish(SystemResult.Outcome.STOPPED);
                }
                if (!devices.isEmpty()) {
                    bus.poll(now());
                }
                if (!sleepers.isEmpty()) {
                    wakeSleepers();
                }
                if (!watched.isEmpty()) {
                    watch();
                }
                if (waitCounted) {
                    watchRequestWaits();
                }
                Task t = debugger != null ? debugger.pickNext() : scheduler.pickNext();
                if (t == null) {
                    if (watchdog.budgetSpent()) {
                        return finish(SystemResult.Outcome.BUDGET_EXCEEDED);
                    }
                    if (debugger != null && debugger.holding()) {
                        continue; // the debugger keeps the tasks that could run frozen: not the end
                    }
                    if (idle()) {
                        continue;
                    }
                    if (breakDeadlock()) {
                        continue;
                    }
                    return finish(null);
                }
                Watchdog.Slice slice = runSlice(t);
                if (stopRequested) {
                    return finish(SystemResult.Outcome.STOPPED);
                }
                if (slice.budgetSpent || watchdog.budgetSpent()) {
                    return finish(SystemResult.Outcome.BUDGET_EXCEEDED);
                }
                if (!manifest.endsWith().isEmpty() && endTasksEnded()) {
                    endedByManifest = true;
                    return finish(null);
                }
            }
        } finally {
            watchdog.close();
            console.flush();
        }
    }

    /**
     * Nothing can run and nothing can wake anyone: the system is deadlocked. A server blocked
     * waiting on a notification while it owes a client a reply will never answer (measured: a
     * flipped bit in the block driver's device address left it waiting for a completion that
     * never comes, its client waiting on it). Where its recovery can end that request (shadow,
     * restart, txipc), withdraw the wait and fault it ({@code DEADLINE}): the shadow re-issues
     * the request to the restarted driver, txipc rolls it back (the client gets ERECOVERED).
     * Returns true if a task was faulted (the system may run again).
     */
    private boolean breakDeadlock() {
        if (debugger != null) {
            return false; // under a debugger the user decides
        }
        boolean any = false;
        for (Task t : new ArrayList<>(tasks)) {
            if (t.state() == TaskState.WAITING
                    && t.replyOwed() != null
                    && t.recovery().breaksDeadlocks()) {
                faultWaiting(t, "blocked waiting inside a request while nothing else can run (a deadlock)");
                any = true;
            }
        }
        return any;
    }

    /** The debugger kept the system stopped for {@code nanos}: that time is not run time. */
    void debuggerHeld(long nanos) {
        if (nanos > 0) {
            heldNanos += nanos;
        }
        Watchdog w = watchdog;
        if (w != null) {
            w.extend(nanos);
        }
    }

    /**
     * Nothing is ready. If a task waits for a device interrupt that can still come without any
     * task's help (a running timer, UART input), sleep until the next device event, input, or
     * at most 50 ms (to notice the time budget), and return true; else false: the system is done
     * or deadlocked.
     */
    private boolean idle() {
        if (!devicesMayWake() && sleepers.isEmpty()) {
            return false;
        }
        long until = Math.min(bus.nextEventNanos(), now() + 50_000_000L);
        if (!sleepers.isEmpty()) {
            until = Math.min(until, sleepers.peek().wakeAt());
        }
        bus.awaitActivity(until, this::now);
        return true;
    }

    /** Some task waits on a device interrupt that may come unprompted. */
    private boolean devicesMayWake() {
        for (BoundDevice bd : devices) {
            if (bd.irq.waiter != null
                    && (bd.device.mayInterruptUnprompted() || bd.device.nextEventNanos() != Long.MAX_VALUE)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Run {@code t} until it blocks, yields, is preempted, exits or faults. Syscalls that do not
     * block are answered and the task resumes at once, in the same slice.
     */
    private Watchdog.Slice runSlice(Task t) {
        long pc = t.pc();
        if ((pc & 1) != 0) {
            // With the C extension instructions are 2-byte aligned, and no guest jump can make
            // the PC odd (jalr clears bit 0): only a bad entry point can. Unicorn would decode
            // from the odd address, so the kernel traps the fetch itself.
            Watchdog.Slice none = new Watchdog.Slice(t, System.nanoTime());
            fault(t, new Fault(FaultKind.MISALIGNED_FETCH, pc, pc, t.image().describe(pc), ""));
            return none;
        }
        Cpu cpu = t.cpu();
        t.running(); // (writes its pending syscall results)
        if (debugger == null
                && t.inRequest()
                && t.recovery().deadlineCountsWaits()
                && t.recovery().deadlineNanos() > 0
                && t.requestOverranBetweenSlices(t.recovery().deadlineNanos())) {
            // Its waits inside the request, banked as it was woken, took it past its deadline.
            // Checked here, as each wake leads here: the 10 ms watch (watchRequestWaits) sees
            // only tasks waiting at that moment, and a request that blocks again and again for a
            // moment (sleeps of 1 ms, a loop of nested calls) was almost never waiting when it
            // looked (it ran at each wake), so such a request ended seconds past its deadline.
            Watchdog.Slice none = new Watchdog.Slice(t, System.nanoTime());
            fault(
                    t,
                    new Fault(
                            FaultKind.DEADLINE,
                            t.pc(),
                            0,
                            t.image().describe(t.pc()),
                            "spent over " + t.recovery().deadlineNanos() / 1_000_000
                                    + " ms on one request, waiting inside it (found as it was woken)"));
            return none;
        }
        current = t;
        preemptCurrent = false;
        cpu.clearPreempt();
        adjustPreemption(t, cpu);
        long start = System.nanoTime();
        t.sliceStarted(start);
        if (timeline) {
            observer.sliceStarted(t, start - bootNanos);
        }
        Task sleeper = sleepers.peek();
        boolean counted = countedSlices && devices.isEmpty() && sleeper == null;
        Watchdog.Slice slice = watchdog.begin(
                t,
                start,
                counted ? Math.max(watchdog.quantumNanos, COUNTED_BACKSTOP_NANOS) : watchdog.quantumNanos,
                sleeper != null ? wakeDue(sleeper) : Long.MAX_VALUE);
        int syscallsLeft = SLICE_SYSCALLS;
        Exit exit;
        try {
            while (true) {
                t.recovery().resuming(pc);
                boolean guard = !cpu.preemptible();
                if (guard) {
                    watchdog.entering(slice);
                }
                try {
                    exit = cpu.run(pc);
                } finally {
                    if (guard) {
                        watchdog.left();
                    }
                }
                if (exit == Exit.EXCEPTION && cpu.completeTrappedInstruction(now())) {
                    // (rdtime: the engine has no timer behind it; the kernel completed it)
                    pc = cpu.pc();
                    if (preemptCurrent || slice.preempted || slice.budgetSpent || slice.deadline) {
                        exit = Exit.ECALL; // (resumes at pc, as after a syscall)
                        break;
                    }
                    continue;
                }
                if (exit != Exit.ECALL) {
                    break;
                }
                long[] a = cpu.args();
                pc = a[8];
                if (syscalls.dispatch(t, a) != SyscallFrame.Next.CONTINUE
                        || preemptCurrent
                        || slice.preempted
                        || slice.budgetSpent
                        || slice.deadline) {
                    break;
                }
                if (!cpu.preemptible() && scheduler.hasReady()) {
                    // The syscall made another task ready: from now on this slice must be
                    // preemptible at its quantum.
                    cpu.enablePreemption();
                }
                if (counted && --syscallsLeft <= 0 && scheduler.hasReady()) {
                    break; // (a counted slice's end: the task goes to the back of its queue)
                }
                if (debugger != null) {
                    debugger.record(t, pc); // a checkpoint for reverse execution
                }
            }
        } finally {
            watchdog.end();
            current = null;
        }
        long end = System.nanoTime();
        // (Time the host did not run the kernel thread is not the task's: see Watchdog.steal.)
        long cpuEnd = end - Math.min(slice.stolen, end - start);
        t.chargeSlice(start, cpuEnd, Watchdog.quiet(slice, cpuEnd));
        if (timeline) {
            observer.sliceEnded(t, end - bootNanos);
        }
        switch (exit) {
            case ECALL -> {
                t.resumeAt(pc);
                afterStop(t, slice);
            }
            case STOPPED -> {
                t.resumeAt(cpu.pc());
                Fault injected = probe != null ? probe.stopped(t) : null;
                if (injected != null) {
                    fault(t, injected);
                } else {
                    afterStop(t, slice);
                }
            }
            case EXCEPTION -> fault(t, exceptionFault(t));
            case MEMORY_FAULT -> fault(t, memoryFault(t));
        }
        TaskState after = t.state();
        if ((after == TaskState.WAITING || after == TaskState.AWAITING_REPLY || after == TaskState.SENDING)
                && t.inRequest()
                && t.recovery().deadlineCountsWaits()) {
            t.requestBlocked(end, heldNanos); // (the wake banks the time; see watchRequestWaits)
            waitCounted = true;
        }
        return slice;
    }

    /**
     * Time slicing needs precise stops, which cost a block hook (a few ns per executed block;
     * see RiscvCpu.stop for why Unicorn's asynchronous stop will not do). So a CPU carries the
     * hook only while another task is ready to run: contention can only begin at a syscall of
     * the running task (or at a slice start), which is exactly where the kernel can add it. A
     * CPU that ran uncontended for several slices in a row drops the hook again.
     */
    private void adjustPreemption(Task t, Cpu cpu) {
        if (scheduler.hasReady() || !sleepers.isEmpty() || (!devices.isEmpty() && devicesMayWake())) {
            // (a device that may wake a waiting task is contention too: the slice must end at
            // its quantum so that the kernel can poll the device; and so is a task sleeping in a
            // timed wait: the slice ends when it is due (Watchdog.Slice.wakeDue). Before, a task
            // that ran 8 slices alone lost the block hook, and a task of any priority sleeping
            // beside it was never woken while it computed.)
            t.contended();
            cpu.enablePreemption();
        } else if (cpu.preemptible()
                && t.uncontendedSlice() > 8
                && debugger == null) { // a debugger's Ctrl-C needs the hook
            cpu.disablePreemption();
        }
    }

    private void afterStop(Task t, Watchdog.Slice slice) {
        if (t.recovery().runAgain()) {
            return; // its request runs again (txipc verification): it was handed it anew
        }
        Fault pending = t.takePendingFault();
        if (pending != null) {
            fault(t, pending);
            return;
        }
        switch (t.state()) {
            case RUNNING -> {
                if (slice.deadline && t.inRequest()) {
                    fault(
                            t,
                            new Fault(
                                    FaultKind.DEADLINE,
                                    t.pc(),
                                    0,
                                    t.image().describe(t.pc()),
                                    "spent over " + slice.deadlineNanos / 1_000_000 + " ms of CPU"
                                            + (t.recovery().deadlineCountsWaits() ? " and waits" : "")
                                            + " on one request"));
                } else if (slice.runaway) {
                    fault(
                            t,
                            new Fault(
                                    FaultKind.RUNAWAY,
                                    t.pc(),
                                    0,
                                    t.image().describe(t.pc()),
                                    "ran " + t.spec().runawayMs() + " ms without a syscall"));
                } else {
                    scheduler.enqueue(t); // preempted or yielded
                }
            }
            case EXITED -> {
                log.info("task {} exited with status {}", t, t.exitCode());
                teardown(t);
                observer.taskExited(t, t.exitCode());
            }
            default -> {} // blocked in a syscall; whoever wakes it enqueues it
        }
    }

    /** Every task the manifest's {@code ends_with} names has exited or died. */
    private boolean endTasksEnded() {
        for (String name : manifest.endsWith()) {
            if (task(name).state().alive()) {
                return false;
            }
        }
        return true;
    }

    /** The run ended because the tasks of the manifest's {@code ends_with} did: the rest were stopped where they were. */
    private boolean endedByManifest;

    private SystemResult finish(SystemResult.Outcome forced) {
        if (stopRequested && forced == SystemResult.Outcome.BUDGET_EXCEEDED) {
            forced = SystemResult.Outcome.STOPPED; // (requestStop ends the budget to stop the CPU)
        }
        List<SystemResult.TaskReport> reports = new ArrayList<>();
        List<String> stuck = new ArrayList<>();
        List<String> runnable = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (Task t : tasks) {
            TaskState state = t.state();
            reports.add(new SystemResult.TaskReport(
                    t.name(), t.id(), state, t.exitCode(), t.faults(), t.restarts(), t.lastFault()));
            if (state == TaskState.DEAD || (state == TaskState.EXITED && t.exitCode() != 0)) {
                failed.add(t.name()
                        + (state == TaskState.DEAD
                                ? " (died: "
                                        + (t.lastFault() == null
                                                ? "?"
                                                : t.lastFault().toString(t)) + ")"
                                : " (exit " + t.exitCode() + ")"));
            } else if (!endedByManifest
                    && (state == TaskState.SENDING
                            || state == TaskState.AWAITING_REPLY
                            || state == TaskState.WAITING)) {
                stuck.add(t.name() + " (" + blockedOn(t) + ")");
            } else if (state == TaskState.READY || state == TaskState.RUNNING) {
                runnable.add(t.name());
            }
        }
        SystemResult.Outcome outcome;
        String summary;
        if (forced != null) {
            outcome = forced;
            summary = forced == SystemResult.Outcome.STOPPED ? "stopped on request" : "time budget exhausted";
            if (forced == SystemResult.Outcome.BUDGET_EXCEEDED) {
                // Who was still at work, and who waited on whom: a server that never answers
                // (spinning, or busy forever) shows here as the task its clients await.
                summary += (runnable.isEmpty() ? "" : "; still running: " + listed(runnable))
                        + (stuck.isEmpty() ? "" : "; blocked: " + listed(stuck));
            }
        } else if (!failed.isEmpty()) {
            outcome = SystemResult.Outcome.TASK_FAILED;
            summary = "task(s) failed: " + String.join(", ", failed);
        } else if (!stuck.isEmpty()) {
            outcome = SystemResult.Outcome.DEADLOCK;
            summary = "deadlock: nothing can run; blocked: " + listed(stuck);
        } else {
            outcome = SystemResult.Outcome.OK;
            summary = endedByManifest
                    ? String.join(", ", manifest.endsWith()) + " finished (ends_with); the other tasks were stopped"
                    : "all tasks finished";
        }
        return new SystemResult(outcome, summary, reports, System.nanoTime() - bootNanos - heldNanos);
    }

    /**
     * What a blocked task waits for, for the run's summary: its state and, where there is one,
     * the task it waits on ("awaiting_reply from kv", "sending to kv", "waiting on irq, owes
     * client a reply").
     */
    private static String blockedOn(Task t) {
        String state = t.state().name().toLowerCase();
        return switch (t.state()) {
            case AWAITING_REPLY ->
                t.servedBy() != null ? state + " from " + t.servedBy().name() : state;
            case SENDING ->
                t.blockedOn() != null ? state + " to " + t.blockedOn().server.name() : state;
            case WAITING ->
                state
                        + (t.waitingOn() != null ? " on " + t.waitingOn().name() : "")
                        + (t.replyOwed() != null ? ", owes " + t.replyOwed().name() + " a reply" : "");
            default -> state;
        };
    }

    /** The first 12 of {@code names}, comma-separated, and how many more there are. */
    private static String listed(List<String> names) {
        int shown = Math.min(names.size(), 12);
        String s = String.join(", ", names.subList(0, shown));
        return names.size() > shown ? s + " and " + (names.size() - shown) + " more" : s;
    }

    // ---- faults ----------------------------------------------------------------------------

    /**
     * A synchronous exception, by its RISC-V cause (see Cause for what Unicorn 2.0.1 reports):
     * the PC is the trapping instruction's; the address of a data exception is decoded from the
     * instruction and the registers (Unicorn does not write mtval), that of a fetch exception
     * is the PC.
     */
    private Fault exceptionFault(Task t) {
        Cpu cpu = t.cpu();
        int cause = cpu.exceptionCause();
        long pc = cpu.exceptionPc();
        if ((pc & 1) != 0) {
            // only an odd mepc (mret) gets here: the engine decoded from the odd address
            return new Fault(FaultKind.MISALIGNED_FETCH, pc, pc, t.image().describe(pc), "");
        }
        FaultKind kind;
        switch (cause) {
            case Cause.INSN_MISALIGNED -> kind = FaultKind.MISALIGNED_FETCH;
            case Cause.ILLEGAL_INSN -> kind = FaultKind.ILLEGAL_INSTRUCTION;
            case Cause.BREAKPOINT -> kind = FaultKind.BREAKPOINT;
            case Cause.INSN_ACCESS -> kind = FaultKind.ACCESS_FAULT_FETCH;
            case Cause.INSN_PAGE_FAULT -> kind = FaultKind.PAGE_FAULT_FETCH;
            case Cause.LOAD_MISALIGNED, Cause.STORE_MISALIGNED -> kind = FaultKind.MISALIGNED_ACCESS;
            case Cause.LOAD_ACCESS, Cause.STORE_ACCESS -> kind = FaultKind.ACCESS_FAULT_READ;
            case Cause.LOAD_PAGE_FAULT, Cause.STORE_PAGE_FAULT -> kind = FaultKind.PAGE_FAULT_READ;
            default -> {
                return new Fault(FaultKind.ILLEGAL_INSTRUCTION, pc, 0, t.image().describe(pc), Cause.name(cause));
            }
        }
        long address = 0;
        String detail = kind == FaultKind.ILLEGAL_INSTRUCTION ? cpu.exceptionDetail() : "";
        switch (kind) {
            case MISALIGNED_FETCH, ACCESS_FAULT_FETCH, PAGE_FAULT_FETCH -> address = pc;
            case MISALIGNED_ACCESS, ACCESS_FAULT_READ, PAGE_FAULT_READ -> {
                long[] regs = new long[33];
                cpu.readAll(regs);
                FaultLocator.Access a = cpu.accessAt(pc, regs);
                // Unicorn reports some AMO exceptions with the load cause: the instruction decides
                boolean write = a != null
                        ? a.writes()
                        : cause == Cause.STORE_ACCESS
                                || cause == Cause.STORE_PAGE_FAULT
                                || cause == Cause.STORE_MISALIGNED;
                if (a != null) {
                    address = a.address();
                }
                if (kind == FaultKind.MISALIGNED_ACCESS) {
                    detail = a == null
                            ? Cause.name(cause)
                            : (a.amo() ? "misaligned AMO" : a.writes() ? "misaligned store" : "misaligned load")
                                    + " of " + a.size() + " bytes";
                } else if (write) {
                    kind = kind == FaultKind.PAGE_FAULT_READ
                            ? FaultKind.PAGE_FAULT_WRITE
                            : FaultKind.ACCESS_FAULT_WRITE;
                }
            }
            default -> {}
        }
        return new Fault(kind, pc, address, t.image().describe(pc), detail);
    }

    /**
     * For a fetch from where no code is (a call through a null or stale function pointer): the
     * link register, when it holds an address in the image's code, says where the call came
     * from ({@code "return address 0x10046 (main+0x1e)"}); else "".
     */
    private static String returnAddress(Task t, Cpu cpu, long pc) {
        long[] regs = new long[33];
        cpu.readAll(regs);
        long lr = regs[cpu.arch().link()];
        if (lr == pc || t.image().segments().stream().noneMatch(s -> s.exec() && s.contains(lr))) {
            return "";
        }
        String where = t.image().describe(lr);
        return String.format("return address 0x%x%s", lr, where.startsWith("0x") ? "" : " (" + where + ")");
    }

    private Fault memoryFault(Task t) {
        Cpu cpu = t.cpu();
        long addr = cpu.memFaultAddress();
        int type = cpu.memFaultType();
        FaultKind kind = switch (type) {
            case MemFault.READ_UNMAPPED -> FaultKind.UNMAPPED_READ;
            case MemFault.WRITE_UNMAPPED -> FaultKind.UNMAPPED_WRITE;
            case MemFault.FETCH_UNMAPPED -> FaultKind.UNMAPPED_FETCH;
            case MemFault.READ_PROT -> FaultKind.PROTECTED_READ;
            case MemFault.WRITE_PROT -> FaultKind.PROTECTED_WRITE;
            default -> FaultKind.PROTECTED_FETCH;
        };
        if (kind == FaultKind.UNMAPPED_FETCH || kind == FaultKind.PROTECTED_FETCH) {
            return new Fault(kind, addr, addr, t.image().describe(addr), returnAddress(t, cpu, addr));
        }
        long[] regs = new long[33];
        cpu.readAll(regs);
        long reported = regs[32];
        if ((reported & 1) != 0) {
            // A block starting at an odd address: entered by an mret to an odd mepc (jumps
            // cannot make the PC odd), and the engine decoded whatever was there.
            return new Fault(
                    FaultKind.MISALIGNED_FETCH, reported, reported, t.image().describe(reported), "");
        }
        boolean write = kind == FaultKind.UNMAPPED_WRITE || kind == FaultKind.PROTECTED_WRITE;
        FaultLocator.Location at = cpu.locate(reported, regs, addr, write);
        long pc = at.pc();
        StringBuilder detail = new StringBuilder();
        if (!at.found()) {
            detail.append(String.format("faulting instruction not found: pc is the engine's 0x%x", reported));
        } else if (at.ambiguous()) {
            detail.append("faulting instruction ambiguous, also possible:");
            for (long o : at.others()) {
                detail.append(String.format(" 0x%x", o));
            }
        }
        if (kind == FaultKind.UNMAPPED_READ || kind == FaultKind.UNMAPPED_WRITE) {
            long stackBottom = Abi.STACK_TOP - t.spec().stackBytes();
            long sp = regs[cpu.arch().sp()];
            boolean inGuard =
                    Long.compareUnsigned(addr, stackBottom - PAGE) >= 0 && Long.compareUnsigned(addr, stackBottom) < 0;
            boolean belowWithSp = Long.compareUnsigned(sp, stackBottom) < 0
                    && Long.compareUnsigned(addr, stackBottom) < 0
                    && Long.compareUnsigned(addr, sp - PAGE) >= 0;
            if (inGuard || belowWithSp) {
                kind = FaultKind.STACK_OVERFLOW;
                if (detail.length() > 0) {
                    detail.append("; ");
                }
                long stack = t.spec().stackBytes();
                detail.append(String.format(
                        "%s below the %s stack (0x%x..0x%x); ",
                        write ? "write" : "read", size(stack), stackBottom, Abi.STACK_TOP));
                // How deep this access went (a large frame may skip the guard page by far), in
                // pages; the suggestion holds it and a page more, and is at least twice the stack.
                long reach = (Abi.STACK_TOP - Math.min(addr, sp) + PAGE - 1) & -PAGE;
                long want = Math.max(stack * 2, Long.highestOneBit(reach + PAGE - 1) << 1);
                detail.append(String.format("this access is %s below the stack's top; ", size(reach)));
                detail.append(
                        want <= MAX_STACK
                                ? String.format(
                                        "raise the task's `stack` in its manifest (docs/MANIFEST.md; a bare ELF boots"
                                                + " from one too%s): [task.%s] image = \"%s\" stack = \"%s\"",
                                        whereManifest(t.spec().image()),
                                        t.name(),
                                        manifestPath(t.spec().image()),
                                        size(want))
                                : String.format(
                                        "that is beyond the largest `stack` a manifest allows (%s): use less (large"
                                                + " local arrays, deep recursion)",
                                        size(MAX_STACK)));
            }
        }
        return new Fault(kind, pc, addr, t.image().describe(pc), detail.toString());
    }

    /**
     * How a manifest names {@code image}: as the manifest does, or for a bare ELF file, its path
     * from the current folder (image paths are relative to the manifest's folder), or its file name
     * when it is outside the current folder (the manifest then goes beside it).
     */
    private String manifestPath(String image) {
        String p = source.manifestPath(image);
        return p == null ? image : p;
    }

    /** Where the manifest of {@link #manifestPath} must be, for a bare ELF file ("" for a manifest's). */
    private String whereManifest(String image) {
        String p = source.manifestPath(image);
        if (p == null) {
            return "; in a manifest beside the ELF file: image paths are relative to the manifest's folder";
        }
        return p.equals(image) ? "" : "; in a manifest in the current folder: image paths are relative to its folder";
    }

    /** The manifest's upper limit for `stack` (docs/MANIFEST.md). */
    private static final long MAX_STACK = 16L << 20;

    /** A size in the manifest's notation: 64K, 1M. */
    static String size(long bytes) {
        if (bytes % (1 << 20) == 0) {
            return (bytes >> 20) + "M";
        }
        return bytes % 1024 == 0 ? (bytes >> 10) + "K" : Long.toString(bytes);
    }

    /**
     * A recovery policy's detail on its {@code logger}: WARN, or DEBUG when the observer
     * accounts for recoveries itself ({@link KernelObserver#reportsRecoveries}), as
     * {@link #fault} does for the fault lines.
     */
    void recoveryNote(Logger logger, String format, Object... args) {
        if (observer.reportsRecoveries()) {
            logger.debug(format, args);
        } else {
            logger.warn(format, args);
        }
    }

    /** Attribute {@code f} to {@code t} and apply its recovery policy. */
    void fault(Task t, Fault f) {
        if (debugger != null && debugger.faulted(t, f)) {
            return; // the debugger took the fault: the task resumes from its registers
        }
        t.recordFault(f);
        String who = t.toString();
        int generation = t.generation();
        RecoveryOutcome outcome = t.recovery().onFault(f);
        if (observer.reportsFaults()) {
            log.debug("task {} faulted: {}; {}", who, f, outcome); // the observer shows it
        } else {
            log.warn("task {} faulted: {}; {}", who, f, outcome);
        }
        observer.taskFaulted(t, generation, f, outcome);
        if (debugger != null) {
            debugger.recovered(t, generation, f, outcome.toString());
        }
    }

    /**
     * The fall-back of every policy: reload {@code t} if it is under the restart limit, else
     * stop it. {@code why} (or null) says why a policy that prefers something else restarts.
     */
    RecoveryOutcome restartOrStop(Task t, String why) {
        if (t.restarts() < config.maxRestarts()) {
            return restart(t, why);
        }
        return stop(t, "task stopped: restart limit (" + config.maxRestarts() + ") reached");
    }

    /** {@code t} is dead for good: its callers get EDEAD. */
    RecoveryOutcome stop(Task t, String reason) {
        t.died();
        teardown(t);
        return new RecoveryOutcome.Stopped(reason);
    }

    /**
     * Reload {@code t} from its image with a new generation, resetting the devices it owns.
     * {@code why} (or null) is carried into the outcome. A restart happens here and only here,
     * in three steps: the task starts its new generation and forgets its old instance's state
     * ({@link Task#reinitialize}); the old instance is torn down, which fails the callers it
     * owed or had queued with EDEAD and the new generation ({@link Ipc#forget}) and releases
     * its CPU; and the image is loaded into a fresh CPU ({@link Task#loaded}, as at boot).
     */
    RecoveryOutcome restart(Task t, String why) {
        t.reinitialize();
        teardown(t);
        for (BoundDevice bd : t.devices()) {
            bd.device.reset();
        }
        try {
            load(t);
        } catch (BootException e) {
            t.died();
            return new RecoveryOutcome.Stopped((why == null ? "" : why + "; ") + "restart failed: " + e.getMessage());
        }
        scheduler.enqueue(t);
        observer.taskRestarted(t);
        return new RecoveryOutcome.Restarted(t.generation(), why);
    }

    /**
     * Take {@code t} out of every queue and relation, fail the callers it owed, and release its
     * CPU and memory. Its state (EXITED, DEAD, or about to be reloaded) is set by the caller.
     */
    private void teardown(Task t) {
        t.recovery().ended();
        scheduler.remove(t);
        ipc.forget(t);
        t.releaseCpu();
    }

    /** Wake {@code t}; if it is more important than the running task, preempt that one. */
    /** Tasks whose recovery watches them from outside ({@link Recovery#watch}): the shadowed drivers. */
    private final List<Task> watched = new ArrayList<>();

    private long lastWatch;

    /** Let each watched task's recovery look at it, every 10 ms at most; fault a blocked one it finds failed. */
    private void watch() {
        long now = now();
        if (now - lastWatch < 10_000_000L) {
            return;
        }
        lastWatch = now;
        for (Task t : watched) {
            TaskState s = t.state();
            if (s == TaskState.RECEIVING || s == TaskState.WAITING) {
                Fault f = t.recovery().watch(now);
                if (f != null && debugger == null) {
                    fault(t, f);
                }
            }
        }
    }

    /** A task whose recovery counts waits toward its request deadline has blocked inside a request. */
    private boolean waitCounted;

    private long lastWaitWatch;

    /**
     * Every 10 ms: a task (under a recovery that counts waits toward the request deadline,
     * txipc) that waits on a notification inside a request whose time, CPU and waits, has run
     * past its deadline is faulted ({@code DEADLINE}): its wait is withdrawn and the request
     * rolled back. Before, only a deadlock ended such a wait; a request that slept or waited
     * while a timer or a device kept the system alive held its client for good. A task blocked
     * in a nested call is left to its callee's recovery: the time counts when the call returns.
     */
    private void watchRequestWaits() {
        long now = System.nanoTime();
        if (now - lastWaitWatch < 10_000_000L || debugger != null) {
            return; // (under a debugger the user decides)
        }
        lastWaitWatch = now;
        long held = heldNanos;
        for (Task t : new ArrayList<>(tasks)) {
            if (t.state() == TaskState.WAITING
                    && t.inRequest()
                    && t.recovery().deadlineCountsWaits()
                    && t.requestOverranBlocked(now, held, t.recovery().deadlineNanos())) {
                long waited = t.requestBlockedFor(now, held);
                faultWaiting(
                        t,
                        "spent over " + t.recovery().deadlineNanos() / 1_000_000
                                + " ms on one request, waiting inside it (this wait " + waited / 1_000_000 + " ms)");
            }
        }
    }

    /** {@code t}, waiting inside a request, faults with a DEADLINE ({@code why}): its wait withdrawn. */
    private void faultWaiting(Task t, String why) {
        long pc = t.pc();
        ipc.withdrawWait(t);
        fault(t, new Fault(FaultKind.DEADLINE, pc, 0, t.image().describe(pc), why));
    }

    /** When sleeping {@code t} is due to wake, in System.nanoTime (MAX_VALUE for a timeout too far to matter). */
    private long wakeDue(Task t) {
        long w = t.wakeAt(); // (now() units: since bootNanos)
        long due = bootNanos + w;
        return ((bootNanos ^ due) & (w ^ due)) < 0 ? Long.MAX_VALUE : due; // (overflow: never)
    }

    /** {@code t} waits in WAIT_ANY until its {@link Task#wakeAt} at the latest. */
    void sleepUntil(Task t) {
        sleepers.add(t);
    }

    /** {@code t}'s WAIT_ANY timeout is withdrawn. */
    void cancelSleep(Task t) {
        sleepers.remove(t);
    }

    /** End the WAIT_ANY of every task whose timeout has passed (ETIMEDOUT). */
    private void wakeSleepers() {
        long now = now();
        Task t;
        while ((t = sleepers.peek()) != null && t.wakeAt() <= now) {
            ipc.timedOut(t); // (removes it from sleepers)
        }
    }

    void wake(Task t) {
        t.requestUnblocked(System.nanoTime(), heldNanos);
        scheduler.enqueue(t);
        Task c = current;
        if (c != null && t.priority() < c.priority()) {
            preemptCurrent = true;
        }
    }

    long now() {
        return System.nanoTime() - bootNanos;
    }

    /** Nanoseconds since this kernel was built: the time base of the observer's timeline callbacks. */
    public long uptimeNanos() {
        return now();
    }

    @Override
    public void close() {
        for (Task t : tasks) {
            t.releaseCpu();
        }
        if (watchdog != null) {
            watchdog.close();
        }
        bus.close();
        ram.close();
    }
}
