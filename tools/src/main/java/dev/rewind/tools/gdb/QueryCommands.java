package dev.rewind.tools.gdb;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * General queries and settings: {@code qSupported}, {@code QStartNoAckMode},
 * {@code qXfer:features:read} (the RISC-V 64 target description, shipped as the resource
 * {@code target.xml}), {@code qAttached}, {@code qSymbol}, and empty replies for what is not
 * supported (tracepoints, offsets, ...).
 */
final class QueryCommands {
    static final int PACKET_SIZE = 0x4000;
    private static final byte[] TARGET_XML = load("target.xml");

    private final GdbSession s;

    QueryCommands(GdbSession s) {
        this.s = s;
    }

    static byte[] targetXml() {
        return TARGET_XML.clone();
    }

    String handle(String p) {
        if (p.startsWith("qSupported")) {
            String features = p.length() > "qSupported:".length() ? p.substring("qSupported:".length()) : "";
            for (String f : features.split(";")) {
                if (f.equals("swbreak+")) {
                    s.gdbSwbreak = true;
                } else if (f.equals("hwbreak+")) {
                    s.gdbHwbreak = true;
                }
            }
            return "PacketSize=" + Integer.toHexString(PACKET_SIZE)
                    + ";QStartNoAckMode+;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+"
                    + ";ReverseStep+;ReverseContinue+";
        }
        if (p.equals("QStartNoAckMode")) {
            s.noAck = true; // this reply is still acked by gdb; nothing after it
            return "OK";
        }
        if (p.startsWith("qXfer:features:read:")) {
            return features(p.substring("qXfer:features:read:".length()));
        }
        if (p.equals("qAttached") || p.startsWith("qAttached:")) {
            return "1"; // attached to a running system: quitting gdb detaches, it does not kill
        }
        if (p.startsWith("qSymbol")) {
            return "OK";
        }
        return "";
    }

    /** annex:offset,length */
    private String features(String args) {
        int colon = args.lastIndexOf(':');
        if (colon < 0) {
            return "E01";
        }
        String annex = args.substring(0, colon);
        String[] ol = args.substring(colon + 1).split(",", -1);
        if (ol.length != 2) {
            return "E01";
        }
        int offset = PacketCodec.parseHexInt(ol[0], Integer.MAX_VALUE);
        int length = PacketCodec.parseHexInt(ol[1], Integer.MAX_VALUE);
        if (!annex.equals("target.xml")) {
            return "E00";
        }
        if (offset >= TARGET_XML.length) {
            return "l";
        }
        int n = Math.min(length, Math.min(TARGET_XML.length - offset, PACKET_SIZE / 2));
        byte[] chunk = PacketCodec.escape(TARGET_XML, offset, n);
        String prefix = offset + n >= TARGET_XML.length ? "l" : "m";
        return prefix + new String(chunk, StandardCharsets.ISO_8859_1);
    }

    private static byte[] load(String name) {
        try (InputStream in = QueryCommands.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
