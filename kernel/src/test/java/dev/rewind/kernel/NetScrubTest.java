package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.hw.mem.Perm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code scrub = true} on a server that receives by WAIT_ANY (the network stack: requests, its
 * NIC's frames and its timers in one wait). Before, the scrub ran only at a RECV, so such a server
 * was never scrubbed: a bit flipped between requests in a page no request wrote again stayed for
 * good (the stack ran on with it; the committed copy's check sees a page only when a later
 * request writes it). Now its waits scrub as a RECV's do, and the change is put back.
 */
class NetScrubTest {

    /** Right after the stack's reply {@code n}: flips a bit at the bottom of its stack, a page no request reaches. */
    static final class StackFlipper implements KernelProbe {
        static final long AT = dev.rewind.abi.Abi.STACK_TOP - 64 * 1024 + 0x10; // (net's stack: the default 64K)
        final int n;
        int replies;
        boolean struck;
        TxIpc txipc;

        StackFlipper(int n) {
            this.n = n;
        }

        @Override
        public void replied(Task server) {
            if (!server.name().equals("net")) {
                return;
            }
            txipc = (TxIpc) server.recovery();
            if (++replies == n) {
                byte[] b = new byte[1];
                assertTrue(server.cpu().memory().read(AT, b, 0, 1));
                b[0] ^= 4;
                assertTrue(server.cpu().memory().write(AT, b, 0, 1, Perm.NONE));
                struck = true;
            }
        }

        static String detail() {
            return "page 0x" + Long.toHexString(AT & -dev.rewind.hw.mem.AddressSpace.PAGE)
                    + " changed between requests (scrub)";
        }
    }

    /** {@code image} (t_net_oracle.toml of either architecture) booted with {@code scrub = true} on the stack. */
    static GuestRun bootWithScrub(String image, KernelProbe probe) throws Exception {
        String toml = Fixtures.manifest(image);
        assertTrue(toml.contains("recovery = \"txipc\""));
        toml = toml.replace("recovery = \"txipc\"", "recovery = \"txipc\"\nscrub = true");
        return GuestRun.bootManifestBeside(image, toml, Fixtures.CONFIG, probe);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t_net_oracle.toml", "aarch64/t_net_oracle.toml"})
    void aStackServerThatWaitsByWaitAnyIsScrubbedAndThePageIsPutBack(String image) throws Exception {
        StackFlipper probe = new StackFlipper(100);
        GuestRun r = bootWithScrub(image, probe);
        assertTrue(probe.struck, r::toString);
        assertTrue(r.hasLine("net_oracle: ok bytes=300000"), r::toString);
        assertEquals(1, r.faults.size(), r::toString);
        assertEquals(StackFlipper.detail(), r.faults.get(0).fault().detail(), r::toString);
        assertEquals(1, r.result.task("net").id().generation(), "no restart: " + r);
        assertTrue(probe.txipc.scrubs > 0, "scrubbed at its waits: " + probe.txipc.scrubs);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"t_net_oracle.toml", "aarch64/t_net_oracle.toml"})
    void faultFreeWithScrubTheStackHasNoFault(String image) throws Exception {
        StackFlipper probe = new StackFlipper(Integer.MAX_VALUE); // (strikes nothing: notes the policy)
        GuestRun r = bootWithScrub(image, probe);
        assertTrue(r.hasLine("net_oracle: ok bytes=300000"), r::toString);
        assertEquals(0, r.faults.size(), r::toString);
        assertTrue(probe.txipc.scrubs > 10, "scrubbed at its waits: " + probe.txipc.scrubs);
    }
}
