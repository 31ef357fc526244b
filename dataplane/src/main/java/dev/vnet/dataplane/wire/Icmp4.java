package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;

/**
 * ICMPv4 header view (RFC 792): type, code, checksum over the whole message, and the rest-of-header word
 * (identifier and sequence for echo; unused/next-hop MTU for errors, RFC 1191).
 */
public final class Icmp4 {
    /** Offset of the type. */
    public static final int TYPE = 0;
    /** Offset of the code. */
    public static final int CODE = 1;
    /** Offset of the checksum. */
    public static final int CHECKSUM = 2;
    /** Offset of the echo identifier. */
    public static final int ECHO_ID = 4;
    /** Offset of the echo sequence number. */
    public static final int ECHO_SEQ = 6;
    /** Offset of the next-hop MTU in a fragmentation-needed message (RFC 1191). */
    public static final int NEXT_HOP_MTU = 6;
    /** Length of the header. */
    public static final int HEADER_LEN = 8;

    /** Echo reply. */
    public static final int TYPE_ECHO_REPLY = 0;
    /** Destination unreachable. */
    public static final int TYPE_DEST_UNREACHABLE = 3;
    /** Redirect; the second word of its header is the better first hop. */
    public static final int TYPE_REDIRECT = 5;
    /** Echo request. */
    public static final int TYPE_ECHO_REQUEST = 8;
    /** Time exceeded. */
    public static final int TYPE_TIME_EXCEEDED = 11;
    /** Parameter problem; its pointer, in the first byte after the checksum, names the bad byte of the header. */
    public static final int TYPE_PARAMETER_PROBLEM = 12;

    private Icmp4() {
    }

    /** Validates a message of {@code length} bytes at {@code icmp}, checksum included; null when sound. */
    public static DropReason check(ByteBuf buf, int icmp, int length) {
        if (length < HEADER_LEN) {
            return DropReason.ICMP_TRUNCATED;
        }
        if (!Checksum.verify(buf, icmp, length)) {
            return DropReason.ICMP_BAD_CHECKSUM;
        }
        return null;
    }

    /** Type. */
    public static int type(ByteBuf buf, int icmp) {
        return buf.getUnsignedByte(icmp + TYPE);
    }

    /** Code. */
    public static int code(ByteBuf buf, int icmp) {
        return buf.getUnsignedByte(icmp + CODE);
    }

    /** Echo identifier (the identifier of every query: see {@link #isQueryRequest}). */
    public static int echoId(ByteBuf buf, int icmp) {
        return buf.getUnsignedShort(icmp + ECHO_ID);
    }

    /** Echo sequence number. */
    public static int echoSeq(ByteBuf buf, int icmp) {
        return buf.getUnsignedShort(icmp + ECHO_SEQ);
    }

    /**
     * True for a query request with an identifier at {@link #ECHO_ID}: echo (8), timestamp (13), information (15),
     * address mask (17) (RFC 792, RFC 950), the requests netfilter tracks.
     */
    public static boolean isQueryRequest(int type) {
        return type == TYPE_ECHO_REQUEST || type == 13 || type == 15 || type == 17;
    }

    /** True for the reply to a query request ({@link #isQueryRequest}): 0, 14, 16, 18. */
    public static boolean isQueryReply(int type) {
        return type == TYPE_ECHO_REPLY || type == 14 || type == 16 || type == 18;
    }

    /** True for the error types that quote an offending datagram (unreachable, time exceeded, parameter problem...). */
    public static boolean isError(int type) {
        return type == TYPE_DEST_UNREACHABLE || type == 4 || type == TYPE_REDIRECT || type == TYPE_TIME_EXCEEDED
                || type == TYPE_PARAMETER_PROBLEM;
    }

    /** Recomputes the checksum of a message of {@code length} bytes. */
    public static void updateChecksum(ByteBuf buf, int icmp, int length) {
        buf.setShort(icmp + CHECKSUM, 0);
        buf.setShort(icmp + CHECKSUM, Checksum.compute(buf, icmp, length));
    }
}
