package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Abi;
import dev.rewind.hw.cpu.Cpu;
import dev.rewind.hw.cpu.CpuHook;
import dev.rewind.hw.elf.ElfImage;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongPredicate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * fs checks its own answers. Each test strikes fs once at a chosen point, as a transient fault
 * would (a lookup's answer, a copied path, a handle's value, a file's size, a byte of a file's
 * data between requests); fs's check makes it a fault of the request (an abort), which txipc
 * undoes, and the client is told the right answer. Without the check each case ends silent:
 * the oracle is told ENOENT or EBADF for what is there, or reads wrong bytes (the silent runs of
 * {@code rewind inject builtin:t_fs_oracle.toml --server fs}, docs/RECOVERY.md "fs's own checks").
 */
class FsCheckTest {

    static final int NODE_SIZE = 96; // sizeof(struct node), both arches (gdb: p sizeof(struct node))
    static final int NODE_IS_DIR = 1;
    static final int NODE_DATA = 0x40;
    static final int NODE_SIZE_FIELD = 0x50;
    static final int MAX_NODES = 512;

    /**
     * From the {@code nth} call of fs's {@code symbol} on, the first whose answer is a hit
     * ({@code hit}) answers {@code value} instead, once: a miss, as a skipped compare or a flipped
     * register would make it.
     */
    static final class ReturnStruck implements KernelProbe {
        final String symbol;
        final int nth;
        final LongPredicate hit;
        final long value;
        final Set<Long> returns = new HashSet<>();
        int calls;
        boolean armed;
        boolean struck;
        CpuHook hook;

        ReturnStruck(String symbol, int nth, LongPredicate hit, long value) {
            this.symbol = symbol;
            this.nth = nth;
            this.hit = hit;
            this.value = value;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("fs") || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            long at = task.image().symbol(symbol).orElseThrow();
            int a0 = cpu.arch().result(0);
            int link = cpu.arch().link();
            hook = cpu.hookInstructions(at, at, (addr, size) -> {
                if (struck || ++calls < nth) {
                    return;
                }
                armed = true;
                long ret = cpu.reg(link);
                if (returns.add(ret)) {
                    cpu.hookInstructions(ret, ret, (a, s) -> {
                        if (struck || !armed) {
                            return;
                        }
                        armed = false;
                        if (hit.test(cpu.reg(a0))) {
                            struck = true;
                            cpu.setReg(a0, value);
                        }
                    });
                    cpu.dropCodeTranslations();
                }
            });
            cpu.dropCodeTranslations();
        }
    }

    static GuestRun.FaultEvent assertUndone(GuestRun run, boolean struck, String detail) {
        assertTrue(struck, () -> "the server was struck: " + run);
        return Fixtures.assertAbortUndone(run, "fs", "fs_oracle: ok", detail);
    }

    @ParameterizedTest(name = "{0}, lookup {1} missed")
    @CsvSource({
        "t_fs_oracle.toml, 100",
        "t_fs_oracle.toml, 200",
        "t_fs_oracle.toml, 400",
        "aarch64/t_fs_oracle.toml, 100",
        "aarch64/t_fs_oracle.toml, 300"
    })
    void aPathLookupThatMissesANodeThatIsThereIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        ReturnStruck probe = new ReturnStruck("find_child", nth, v -> (int) v >= 0, -1L);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        // (the lookup struck may be a path's, or a fresh walk that checks a CREATE's EEXIST or
        // new node, or an UNLINK's answer)
        String detail = assertUndone(run, probe.struck, "fs: ").fault().detail();
        assertTrue(
                detail.contains("fs: a path's two lookups disagree")
                        || detail.contains("fs: a name said to exist is not there")
                        || detail.contains("fs: a new node is not where its path leads")
                        || detail.contains("fs: UNLINK's answer differs from the tree's"),
                run::toString);
    }

    @ParameterizedTest(name = "{0}, handle lookup {1} missed")
    @CsvSource({"t_fs_oracle.toml, 30", "aarch64/t_fs_oracle.toml, 30", "t_fs_oracle.toml, 300"})
    void aHandleLookupThatMissesAValidHandleIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        ReturnStruck probe = new ReturnStruck("get_handle_once", nth, v -> v != 0, 0L);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        // (the lookup struck may be a handle's, or OPEN's check of the handle it answered)
        String detail = assertUndone(run, probe.struck, "fs: ").fault().detail();
        assertTrue(
                detail.contains("fs: a handle's two lookups disagree")
                        || detail.contains("fs: OPEN's answer differs from its path walked again"),
                run::toString);
    }

    @ParameterizedTest(name = "{0}, handle {1} zeroed at get_handle's return")
    @CsvSource({"t_fs_oracle.toml, 30", "aarch64/t_fs_oracle.toml, 30"})
    void aHandleZeroedAfterItsChecksIsLookedUpAgainAndTheRequestUndone(String image, int nth) throws Exception {
        ReturnStruck probe = new ReturnStruck("get_handle", nth, v -> v != 0, 0L);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertUndone(run, probe.struck, "fs: a handle's two lookups disagree");
    }

    @ParameterizedTest(name = "{0}, listing {1} missed")
    @CsvSource({"t_fs_oracle.toml, 10", "aarch64/t_fs_oracle.toml, 10"})
    void aListingThatMissesAChildIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        ReturnStruck probe = new ReturnStruck("list_child", nth, v -> (int) v >= 0, -1L);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertUndone(run, probe.struck, "fs: LIST's two scans disagree");
    }

    /**
     * At the entry of fs's {@code nth} {@code walk}, sets the path's length to 0: as a null
     * pointer into the register that held it leaves it (seed 1853940 before the check: LIST
     * answered ENOENT for "/d1/e", "/d1/e/a not listed").
     */
    static final class WalkLengthSpoiled implements KernelProbe {
        final int nth;
        int calls;
        boolean struck;
        CpuHook hook;

        WalkLengthSpoiled(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("fs") || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            long at = task.image().symbol("walk").orElseThrow();
            int a1 = cpu.arch().result(1);
            hook = cpu.hookInstructions(at, at, (addr, size) -> {
                if (struck || ++calls != nth) {
                    return;
                }
                struck = true;
                cpu.setReg(a1, 0L);
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}, walk {1}")
    @CsvSource({"t_fs_oracle.toml, 100", "aarch64/t_fs_oracle.toml, 100"})
    void aWalkOfAnotherLengthThanTheRequestsIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        WalkLengthSpoiled probe = new WalkLengthSpoiled(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertUndone(run, probe.struck, "fs: a lookup walked another path than the request's");
    }

    /**
     * At the return of the {@code nth} {@code memcpy} from the IPC buffer to fs's stack (a
     * request's path copied by {@code parse_path}), flips bit 0 of the last byte before the NUL:
     * as a skipped store in the copy leaves another path (seed 1851547 before the check: STAT
     * answered ENOENT for a file that was there).
     */
    static final class PathCopySpoiled implements KernelProbe {
        final int nth;
        final Set<Long> returns = new HashSet<>();
        int seen;
        long last = -1;
        boolean struck;
        CpuHook hook;

        PathCopySpoiled(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("fs") || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            long entry = task.image().symbol("memcpy").orElseThrow();
            int a0 = cpu.arch().result(0);
            int a1 = cpu.arch().result(1);
            int a2 = cpu.arch().result(2);
            int link = cpu.arch().link();
            dev.rewind.hw.cpu.InstructionHook copy = (addr, size) -> {
                long dst = cpu.reg(a0);
                if (struck
                        || cpu.reg(a1) != Abi.IPC_BUF_ADDR
                        || dst < Abi.STACK_TOP - 16 * 1024 * 1024
                        || dst >= Abi.STACK_TOP
                        || cpu.reg(a2) < 3
                        || ++seen != nth) {
                    return;
                }
                last = dst + cpu.reg(a2) - 2;
                long ret = cpu.reg(link);
                if (returns.add(ret)) {
                    cpu.hookInstructions(ret, ret, (a, s) -> {
                        if (struck || last < 0) {
                            return;
                        }
                        struck = true;
                        byte[] b = new byte[1];
                        assertTrue(cpu.memory().read(last, b, 0, 1));
                        b[0] ^= 1;
                        assertTrue(cpu.memory().write(last, b, 0, 1));
                    });
                    cpu.dropCodeTranslations();
                }
            };
            hook = cpu.hookInstructions(entry, entry, copy);
            Fixtures.hookPlainCopy(task, copy); // (rw_copy_checked's copies: session 54)
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}, path copy {1}")
    @CsvSource({"t_fs_oracle.toml, 100", "aarch64/t_fs_oracle.toml, 100"})
    void aPathCopiedWrongIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        PathCopySpoiled probe = new PathCopySpoiled(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertUndone(run, probe.struck, "a copy differs from its source");
    }

    /**
     * In the {@code nth} OPEN, at the check of the handle it is about to answer (the call of
     * {@code get_handle_once} from {@code do_open} or {@code new_handle}), flips bit 12 of the
     * value: as a flipped register in the handle's making would leave it (seed 1850224 before the
     * check: OPEN answered a handle that every later request found EBADF).
     */
    static final class OpenValueFlipped implements KernelProbe {
        final int nth;
        int opens;
        boolean struck;
        CpuHook hook;

        OpenValueFlipped(int nth) {
            this.nth = nth;
        }

        static boolean within(ElfImage image, String name, long pc) {
            return image.symbols().stream()
                    .anyMatch(s -> s.name().equals(name) && pc >= s.address() && pc < s.address() + s.size());
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("fs") || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            ElfImage image = task.image();
            long at = image.symbol("get_handle_once").orElseThrow();
            int a0 = cpu.arch().result(0);
            int link = cpu.arch().link();
            hook = cpu.hookInstructions(at, at, (addr, size) -> {
                long ret = cpu.reg(link);
                if (struck || !(within(image, "do_open", ret) || within(image, "new_handle", ret))) {
                    return;
                }
                if (++opens == nth) {
                    struck = true;
                    cpu.setReg(a0, cpu.reg(a0) ^ (1L << 12));
                }
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}, open {1}")
    @CsvSource({"t_fs_oracle.toml, 20", "aarch64/t_fs_oracle.toml, 20"})
    void anOpenWhoseHandleNamesNoFileIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        OpenValueFlipped probe = new OpenValueFlipped(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertUndone(run, probe.struck, "fs: OPEN's handle does not name its file");
    }

    /**
     * At the return of fs's {@code nth} {@code node_write} (a WRITE's), adds 1 to the size of the
     * file it wrote: as a spoiled register would leave it (seed 1850069 before the check: a
     * callee-saved register malloc spoiled made WRITE answer a size of 2^46).
     */
    static final class SizeSpoiled implements KernelProbe {
        final int nth;
        final Set<Long> returns = new HashSet<>();
        int calls;
        long node = -1;
        boolean struck;
        CpuHook hook;

        SizeSpoiled(int nth) {
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("fs") || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            long at = task.image().symbol("node_write").orElseThrow();
            long nodes = task.image().symbol("nodes").orElseThrow();
            int a0 = cpu.arch().result(0);
            int link = cpu.arch().link();
            hook = cpu.hookInstructions(at, at, (addr, size) -> {
                if (struck || ++calls != nth) {
                    return;
                }
                node = nodes + cpu.reg(a0) * NODE_SIZE;
                long ret = cpu.reg(link);
                if (returns.add(ret)) {
                    cpu.hookInstructions(ret, ret, (a, s) -> {
                        if (struck || node < 0) {
                            return;
                        }
                        struck = true;
                        long at2 = node + NODE_SIZE_FIELD;
                        Fixtures.write64(cpu, at2, Fixtures.read64(cpu, at2) + 1);
                    });
                    cpu.dropCodeTranslations();
                }
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}, write {1}")
    @CsvSource({"t_fs_oracle.toml, 40", "aarch64/t_fs_oracle.toml, 40"})
    void aWriteThatLeavesItsFilesSizeOffIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        SizeSpoiled probe = new SizeSpoiled(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertUndone(run, probe.struck, "fs: a WRITE left its file's size off");
    }

    /**
     * At the return of fs's {@code nth} {@code symbol} ({@code read_reply}: its READ's reply
     * words filled in; or {@code write_reply}),
     * makes the reply's size word 0: as a skipped store or a spoiled register left it (seed
     * 1852571 before the check: "read /d2/a: size 0, expected 500").
     */
    static final class ReadReplySpoiled implements KernelProbe {
        final String symbol;
        final int nth;
        final Set<Long> returns = new HashSet<>();
        int calls;
        long out = -1;
        boolean struck;
        CpuHook hook;

        ReadReplySpoiled(String symbol, int nth) {
            this.symbol = symbol;
            this.nth = nth;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("fs") || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            long at = task.image().symbol(symbol).orElseThrow();
            int a0 = cpu.arch().result(0);
            int link = cpu.arch().link();
            hook = cpu.hookInstructions(at, at, (addr, size) -> {
                if (struck || ++calls != nth) {
                    return;
                }
                out = cpu.reg(a0);
                long ret = cpu.reg(link);
                if (returns.add(ret)) {
                    cpu.hookInstructions(ret, ret, (a, s) -> {
                        if (struck || out < 0) {
                            return;
                        }
                        struck = true;
                        Fixtures.write64(cpu, out + 2 * ReplyShapeTest.W, 0); // w[1], the size
                    });
                    cpu.dropCodeTranslations();
                }
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}, read {1}")
    @CsvSource({"t_fs_oracle.toml, 40", "aarch64/t_fs_oracle.toml, 40"})
    void aReadWhoseReplyDiffersFromTheFileIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        ReadReplySpoiled probe = new ReadReplySpoiled("read_reply", nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertUndone(run, probe.struck, "fs: READ's reply differs from the file");
    }

    /** As for READ, at {@code write_reply}'s return (seed 1855443 before the check: "size 0"). */
    @ParameterizedTest(name = "{0}, write {1}")
    @CsvSource({"t_fs_oracle.toml, 40", "aarch64/t_fs_oracle.toml, 40"})
    void aWriteWhoseReplyDiffersFromTheFileIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        ReadReplySpoiled probe = new ReadReplySpoiled("write_reply", nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertUndone(run, probe.struck, "fs: WRITE's reply differs from the file");
    }

    /**
     * At the entry of fs's {@code nth} {@code do_unlink} that names a file with no handle open,
     * sets the file's open count to 1 in memory itself ({@code writeUnlogged}): as a CLOSE that
     * decremented another node's count (seed 1853812 before the check) or a flip leaves it.
     */
    static final class OpenCountSpoiled implements KernelProbe {
        static final int NODE_NLEN = 2;
        static final int NODE_NAME = 6;
        static final int NODE_PARENT = 0x28;
        static final int NODE_OPEN_COUNT = 0x3c;
        final int nth;
        int seen;
        boolean struck;
        CpuHook hook;

        OpenCountSpoiled(int nth) {
            this.nth = nth;
        }

        /** The node of an absolute path, or -1, read from fs's node table. */
        static long nodeOf(Cpu cpu, long nodes, String path) {
            long cur = 0; // ROOT
            for (String name : path.substring(1).split("/")) {
                long found = -1;
                for (int i = 1; i < MAX_NODES && found < 0; i++) {
                    long node = nodes + (long) i * NODE_SIZE;
                    byte[] b = new byte[NODE_NAME + 33];
                    assertTrue(cpu.memory().read(node, b, 0, b.length));
                    long parent = Fixtures.read64(cpu, node + NODE_PARENT) & 0xffffffffL;
                    String n =
                            new String(b, NODE_NAME, b[NODE_NLEN] & 0xff, java.nio.charset.StandardCharsets.ISO_8859_1);
                    if (b[0] != 0 && parent == cur && n.equals(name)) {
                        found = i;
                    }
                }
                if (found < 0) {
                    return -1;
                }
                cur = found;
            }
            return cur;
        }

        @Override
        public void requestDelivered(Task task) {
            if (!task.name().equals("fs") || hook != null) {
                return;
            }
            Cpu cpu = task.cpu();
            long at = task.image().symbol("do_unlink").orElseThrow();
            long nodes = task.image().symbol("nodes").orElseThrow();
            hook = cpu.hookInstructions(at, at, (addr, size) -> {
                if (struck) {
                    return;
                }
                byte[] p = new byte[256];
                assertTrue(cpu.memory().read(Abi.IPC_BUF_ADDR, p, 0, p.length));
                int len = 0;
                while (len < p.length && p[len] != 0) {
                    len++;
                }
                long i = nodeOf(cpu, nodes, new String(p, 0, len, java.nio.charset.StandardCharsets.ISO_8859_1));
                if (i <= 0) {
                    return;
                }
                long node = nodes + i * NODE_SIZE;
                byte[] c = new byte[4];
                assertTrue(cpu.memory().read(node + NODE_OPEN_COUNT, c, 0, 4));
                byte[] dir = new byte[1];
                assertTrue(cpu.memory().read(node + NODE_IS_DIR, dir, 0, 1));
                if (dir[0] != 0 || c[0] != 0 || ++seen != nth) {
                    return;
                }
                struck = true;
                c[0] = 1;
                assertTrue(cpu.memory().writeUnlogged(node + NODE_OPEN_COUNT, c, 0, 4));
            });
            cpu.dropCodeTranslations();
        }
    }

    @ParameterizedTest(name = "{0}, unlink {1}")
    @CsvSource({"t_fs_oracle.toml, 3", "aarch64/t_fs_oracle.toml, 3"})
    void anUnlinkOfAFileCountedOpenWithNoHandleIsAFaultOfItsRequestAndIsUndone(String image, int nth) throws Exception {
        OpenCountSpoiled probe = new OpenCountSpoiled(nth);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertUndone(run, probe.struck, "fs: a file's open count differs from its handles");
    }

    /**
     * Right after fs's reply {@code n} (no request open): flips bit 0 of the middle byte of the
     * largest file, in memory itself ({@code writeUnlogged}, as the
     * fault injector's memory flips are written).
     */
    static final class DataFlipper implements KernelProbe {
        final int n;
        int replies;
        long flippedAt;

        DataFlipper(int n) {
            this.n = n;
        }

        @Override
        public void replied(Task server) {
            if (!server.name().equals("fs") || ++replies != n) {
                return;
            }
            Cpu cpu = server.cpu();
            long nodes = server.image().symbol("nodes").orElseThrow();
            long largest = 0;
            long size = 0;
            for (int i = 1; i < MAX_NODES; i++) {
                long node = nodes + (long) i * NODE_SIZE;
                byte[] b = new byte[2];
                assertTrue(cpu.memory().read(node, b, 0, 2));
                long s = Fixtures.read64(cpu, node + NODE_SIZE_FIELD);
                if (b[0] != 0 && b[NODE_IS_DIR] == 0 && s > size) {
                    largest = node;
                    size = s;
                }
            }
            if (largest == 0) {
                return;
            }
            long at = Fixtures.read64(cpu, largest + NODE_DATA) + size / 2;
            byte[] d = new byte[1];
            assertTrue(cpu.memory().read(at, d, 0, 1));
            d[0] ^= 1;
            assertTrue(cpu.memory().writeUnlogged(at, d, 0, 1));
            flippedAt = at;
        }
    }

    @ParameterizedTest(name = "{0}, after reply {1}")
    @CsvSource({
        "t_fs_oracle.toml, 200",
        "t_fs_oracle.toml, 700",
        "aarch64/t_fs_oracle.toml, 200",
        "aarch64/t_fs_oracle.toml, 700"
    })
    void aFlipInAFilesDataBetweenRequestsIsFoundByItsChecksumAndPutBack(String image, int n) throws Exception {
        DataFlipper probe = new DataFlipper(n);
        GuestRun run = GuestRun.runWithProbe(SystemImage.builtin(image), probe);
        assertUndone(run, probe.flippedAt != 0, "fs: a file's data differs from its checksum");
    }
}
