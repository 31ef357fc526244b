package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;

/** UDP header view (RFC 768). A checksum of 0 means "none" over IPv4 and must stay 0 through rewrites. */
public final class Udp {
    /** Offset of the source port. */
    public static final int SRC_PORT = 0;
    /** Offset of the destination port. */
    public static final int DST_PORT = 2;
    /** Offset of the length (header and data). */
    public static final int LENGTH = 4;
    /** Offset of the checksum. */
    public static final int CHECKSUM = 6;
    /** Length of the header. */
    public static final int HEADER_LEN = 8;

    private Udp() {
    }

    /** Validates a datagram with {@code available} bytes of IP payload; null when sound. */
    public static DropReason check(ByteBuf buf, int udp, int available) {
        if (available < HEADER_LEN) {
            return DropReason.UDP_TRUNCATED;
        }
        int length = buf.getUnsignedShort(udp + LENGTH);
        if (length < HEADER_LEN || length > available) {
            return DropReason.UDP_BAD_LENGTH;
        }
        return null;
    }

    /**
     * As {@link #check} for the first fragment of a datagram: its length field counts the fragments still to come,
     * so only the header must be there and the length at least a header's.
     */
    public static DropReason checkFirstFragment(ByteBuf buf, int udp, int available) {
        if (available < HEADER_LEN) {
            return DropReason.UDP_TRUNCATED;
        }
        return buf.getUnsignedShort(udp + LENGTH) < HEADER_LEN ? DropReason.UDP_BAD_LENGTH : null;
    }

    /** Source port. */
    public static int srcPort(ByteBuf buf, int udp) {
        return buf.getUnsignedShort(udp + SRC_PORT);
    }

    /** Destination port. */
    public static int dstPort(ByteBuf buf, int udp) {
        return buf.getUnsignedShort(udp + DST_PORT);
    }

    /** Length field. */
    public static int length(ByteBuf buf, int udp) {
        return buf.getUnsignedShort(udp + LENGTH);
    }

    /** Computes and stores the checksum with the IPv4 pseudo-header (0 is sent as 0xFFFF, RFC 768). */
    public static void updateChecksum(ByteBuf buf, int udp, int srcIp, int dstIp) {
        int length = length(buf, udp);
        buf.setShort(udp + CHECKSUM, 0);
        int sum = Checksum.add(buf, udp, length, Checksum.pseudoHeader(srcIp, dstIp, Ipv4.PROTO_UDP, length));
        int checksum = Checksum.finish(sum);
        buf.setShort(udp + CHECKSUM, checksum == 0 ? 0xFFFF : checksum);
    }
}
