package dev.vnet.dataplane.trace;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the pcapng streams {@link PcapngWriter} writes (little-endian, one section): interface names, and per frame
 * its interface, time, bytes, direction and comment. Blocks of other types are skipped.
 */
public final class PcapngReader {
    /** One frame of the stream. */
    public record Record(String port, long timeMicros, byte[] data, int originalLength, int direction,
                         String comment) {
    }

    private final DataInputStream in;
    private final List<String> interfaces = new ArrayList<>();

    /** Reads from {@code in}; the section header is checked on the first {@link #next}. */
    public PcapngReader(InputStream in) {
        this.in = new DataInputStream(in);
    }

    /** The next frame, or null at the end of the stream. */
    public Record next() throws IOException {
        while (true) {
            byte[] head = new byte[8];
            try {
                in.readFully(head);
            } catch (EOFException e) {
                return null;
            }
            ByteBuffer h = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
            int type = h.getInt();
            int length = h.getInt();
            if (length < 12 || length > (1 << 24) || (length & 3) != 0) {
                throw new IOException("not a pcapng stream vnet wrote (block length " + length + ")");
            }
            byte[] body = new byte[length - 8];
            in.readFully(body);
            ByteBuffer b = ByteBuffer.wrap(body, 0, length - 12).order(ByteOrder.LITTLE_ENDIAN);
            // Every length inside a block is checked against the block before it is used: a damaged file is refused
            // with an IOException, never read past (found by fuzzing: a negative captured length).
            if (type == 0x0A0D0D0A) {
                need(b, 4, "section header");
                if (b.getInt() != 0x1A2B3C4D) {
                    throw new IOException("pcapng section is not little-endian");
                }
            } else if (type == 1) {
                need(b, 8, "interface description");
                b.position(8);
                String name = "if" + interfaces.size();
                for (Option o : options(b)) {
                    if (o.code == 2) {
                        name = new String(o.value, StandardCharsets.UTF_8);
                    }
                }
                interfaces.add(name);
            } else if (type == 6) {
                need(b, 20, "enhanced packet");
                int iface = b.getInt();
                long time = (b.getInt() & 0xffffffffL) << 32 | (b.getInt() & 0xffffffffL);
                int captured = b.getInt();
                int original = b.getInt();
                if (captured < 0 || captured > b.remaining()) {
                    throw new IOException("pcapng packet block: captured length " + (captured & 0xffffffffL)
                            + " does not fit its block of " + length + " bytes");
                }
                byte[] data = new byte[captured];
                b.get(data);
                b.position(Math.min(b.limit(), b.position() + ((4 - (captured & 3)) & 3)));
                int direction = 0;
                String comment = null;
                for (Option o : options(b)) {
                    if (o.code == 2 && o.value.length == 4) {
                        direction = ByteBuffer.wrap(o.value).order(ByteOrder.LITTLE_ENDIAN).getInt() & 3;
                    } else if (o.code == 1) {
                        comment = new String(o.value, StandardCharsets.UTF_8);
                    }
                }
                String port = iface >= 0 && iface < interfaces.size() ? interfaces.get(iface)
                        : "if" + (iface & 0xffffffffL);
                return new Record(port, time, data, original, direction, comment);
            }
        }
    }

    private record Option(int code, byte[] value) {
    }

    private static void need(ByteBuffer b, int bytes, String block) throws IOException {
        if (b.remaining() < bytes) {
            throw new IOException("pcapng " + block + " block too short (" + b.remaining() + " bytes)");
        }
    }

    private static List<Option> options(ByteBuffer b) {
        List<Option> out = new ArrayList<>();
        while (b.remaining() >= 4) {
            int code = b.getShort() & 0xffff;
            int len = b.getShort() & 0xffff;
            if (code == 0 || len > b.remaining()) {
                break;
            }
            byte[] v = new byte[len];
            b.get(v);
            b.position(Math.min(b.limit(), b.position() + ((4 - (len & 3)) & 3)));
            out.add(new Option(code, v));
        }
        return out;
    }
}
