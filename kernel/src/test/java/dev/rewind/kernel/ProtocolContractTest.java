package dev.rewind.kernel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rewind.abi.Abi;
import dev.rewind.abi.Blk;
import dev.rewind.abi.Tty;
import org.junit.jupiter.api.Test;

/**
 * The Java side of a protocol's contract, generated from its definition (guest/abi/*.proto) as
 * the C side's request rules are: what the shadows check each driver reply against.
 */
class ProtocolContractTest {
    @Test
    void requestRulesAreTheDefinitions() {
        assertTrue(Blk.wellFormed(Blk.READ, 7, 1, 0, 0, 0));
        assertTrue(Blk.wellFormed(Blk.READ, 7, Blk.MAX_COUNT, 0, 0, 0));
        assertFalse(Blk.wellFormed(Blk.READ, 7, 0, 0, 0, 0), "count 1..8");
        assertFalse(Blk.wellFormed(Blk.READ, 7, Blk.MAX_COUNT + 1, 0, 0, 0), "count 1..8");
        assertFalse(Blk.wellFormed(Blk.READ, 7, -1, 0, 0, 0), "unsigned range");
        assertFalse(Blk.wellFormed(Blk.READ, 7, 1, 1, 0, 0), "an unused word must be 0");
        assertTrue(Blk.wellFormed(Blk.WRITE, 0, 2, 0, 0, 2 * Blk.SECTOR));
        assertFalse(Blk.wellFormed(Blk.WRITE, 0, 2, 0, 0, Blk.SECTOR), "len = w1 * SECTOR");
        assertTrue(Blk.wellFormed(Blk.OPEN, Blk.O_RDONLY, 0, 0, 0, 0));
        assertFalse(Blk.wellFormed(Blk.OPEN, 2, 0, 0, 0, 0), "flags&O_RDONLY: other bits refused");
        assertFalse(Blk.wellFormed(Blk.MAGIC << 16 | 99, 0, 0, 0, 0, 0), "an undefined request");
        assertTrue(Tty.wellFormed(Tty.WRITE, 5, 3, 0, 0, 5));
        assertFalse(Tty.wellFormed(Tty.WRITE, 5, 3, 0, 0, 4), "len = w0");
        assertFalse(Tty.wellFormed(Tty.WRITE, Tty.CHUNK + 1, 0, 0, 0, Tty.CHUNK + 1), "length 0..CHUNK, buffer");
    }

    @Test
    void answersAreTheListedErrorsOrASuccess() {
        assertTrue(Blk.mayAnswer(Blk.READ, 0));
        assertTrue(Blk.mayAnswer(Blk.READ, Blk.ERANGE));
        assertTrue(Blk.mayAnswer(Blk.READ, Abi.EINVAL));
        assertFalse(Blk.mayAnswer(Blk.READ, Blk.EROFS), "READ does not list EROFS");
        assertFalse(Blk.mayAnswer(Blk.OPEN, Blk.EIO), "OPEN lists EINVAL and ENOMEM only");
        assertFalse(Blk.mayAnswer(Blk.READ, Abi.EIO), "blk's EIO is its own (-23), not the kernel's");
        assertTrue(Blk.mayAnswer(Blk.READ, Blk.EIO));
        assertFalse(Tty.mayAnswer(Tty.READ, 78136), "a success is 0: a positive status is in no definition");
        assertFalse(Blk.mayAnswer(Blk.WRITE, 1), "a success is 0");
    }

    @Test
    void replyShapesAreTheDefinitions() {
        long[] read2 = {Blk.READ, 7, 2, 0, 0, 0};
        assertTrue(Blk.replyWellFormed(Blk.READ, 0, 2, 0, 0, 0, 2 * Blk.SECTOR, read2));
        assertFalse(Blk.replyWellFormed(Blk.READ, 0, 2, 0, 0, 0, Blk.SECTOR, read2), "outlen = w0 * SECTOR");
        assertFalse(
                Blk.replyWellFormed(Blk.READ, 0, 1, 0, 0, 0, Blk.SECTOR, read2), "out=count=w1: the count asked for");
        assertFalse(Blk.replyWellFormed(Blk.WRITE, 0, 1, 0, 0, 0, 0, new long[] {Blk.WRITE, 0, 2, 0, 0, 1024}));
        assertTrue(Blk.replyWellFormed(Blk.READ, Blk.ERANGE, 0, 0, 0, 0, 0, read2), "errors carry nothing to check");
        long[] ttyRead = {Tty.READ, 10, 0, 0, 0, 0};
        assertTrue(Tty.replyWellFormed(Tty.READ, 0, 3, 0, 0, 0, 3, ttyRead));
        assertFalse(Tty.replyWellFormed(Tty.READ, 0, 3, 0, 0, 0, 2, ttyRead), "outlen = w0");
    }
}
