package dev.vnet.dataplane.trace;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes a pcapng stream (the format Wireshark, tshark and tcpdump read): one section, one interface per vnet port
 * (named after the port), and per frame an Enhanced Packet Block with the direction in {@code epb_flags} and, for a
 * dropped frame, the drop reason as the packet comment ({@code opt_comment}, shown by Wireshark as
 * {@code frame.comment}). Timestamps are microseconds. Not thread-safe; one writer per stream.
 */
public final class PcapngWriter {
    /** {@code epb_flags} direction: inbound. */
    public static final int INBOUND = 1;
    /** {@code epb_flags} direction: outbound. */
    public static final int OUTBOUND = 2;
    /** {@code epb_flags} direction: not known (used for drops). */
    public static final int UNKNOWN = 0;

    private static final int SHB = 0x0A0D0D0A;
    private static final int IDB = 0x00000001;
    private static final int EPB = 0x00000006;
    private static final int LINKTYPE_ETHERNET = 1;
    private static final int OPT_END = 0;
    private static final int OPT_COMMENT = 1;
    private static final int IF_NAME = 2;
    private static final int IF_TSRESOL = 9;
    private static final int EPB_FLAGS = 2;

    private final OutputStream out;
    private final int snapLength;
    private ByteBuffer block = ByteBuffer.allocate(70_000).order(ByteOrder.LITTLE_ENDIAN);
    private int interfaces;

    /** Starts a stream on {@code out} with the section header; frames are cut to {@code snapLength} bytes. */
    public PcapngWriter(OutputStream out, int snapLength, String application) throws IOException {
        this.out = out;
        this.snapLength = snapLength;
        begin(SHB);
        block.putInt(0x1A2B3C4D); // byte-order magic
        block.putShort((short) 1).putShort((short) 0);
        block.putLong(-1); // section length not known
        option(4, application.getBytes(StandardCharsets.UTF_8)); // shb_userappl
        endOptions();
        finish();
    }

    /** Declares the next interface (its id is the count declared before it) and returns its id. */
    public int addInterface(String name) throws IOException {
        begin(IDB);
        block.putShort((short) LINKTYPE_ETHERNET).putShort((short) 0).putInt(snapLength);
        option(IF_NAME, name.getBytes(StandardCharsets.UTF_8));
        option(IF_TSRESOL, new byte[] {6});
        endOptions();
        finish();
        return interfaces++;
    }

    /**
     * Writes one frame seen on interface {@code iface}.
     *
     * @param timeMicros   wall-clock time in microseconds since the epoch
     * @param data         the frame's bytes (at most {@code snapLength} are written)
     * @param length       how many bytes of {@code data} hold the frame as captured
     * @param originalLength the frame's length on the wire
     * @param direction    {@link #INBOUND}, {@link #OUTBOUND} or {@link #UNKNOWN}
     * @param comment      a packet comment (a drop reason), or null
     */
    public void writeFrame(int iface, long timeMicros, byte[] data, int length, int originalLength, int direction,
                           String comment) throws IOException {
        int captured = Math.min(length, snapLength);
        byte[] text = comment == null ? null : comment.getBytes(StandardCharsets.UTF_8);
        int need = 64 + captured + (text == null ? 0 : text.length + 8);
        if (block.capacity() < need) {
            block = ByteBuffer.allocate(need).order(ByteOrder.LITTLE_ENDIAN);
        }
        begin(EPB);
        block.putInt(iface);
        block.putInt((int) (timeMicros >>> 32)).putInt((int) timeMicros);
        block.putInt(captured).putInt(originalLength);
        block.put(data, 0, captured);
        pad();
        if (direction != UNKNOWN) {
            block.putShort((short) EPB_FLAGS).putShort((short) 4).putInt(direction);
        }
        if (text != null) {
            option(OPT_COMMENT, text);
        }
        endOptions();
        finish();
    }

    /** Pushes what was written to the stream. */
    public void flush() throws IOException {
        out.flush();
    }

    private void begin(int type) {
        block.clear();
        block.putInt(type).putInt(0); // length patched in finish()
    }

    private void option(int code, byte[] value) {
        block.putShort((short) code).putShort((short) value.length).put(value);
        pad();
    }

    private void endOptions() {
        block.putShort((short) OPT_END).putShort((short) 0);
    }

    private void pad() {
        while ((block.position() & 3) != 0) {
            block.put((byte) 0);
        }
    }

    private void finish() throws IOException {
        int length = block.position() + 4;
        block.putInt(length);
        block.putInt(4, length);
        out.write(block.array(), 0, length);
    }
}
