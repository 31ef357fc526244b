package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;

/** TCP header view (RFC 9293 section 3.1). */
public final class Tcp {
    /** Offset of the source port. */
    public static final int SRC_PORT = 0;
    /** Offset of the destination port. */
    public static final int DST_PORT = 2;
    /** Offset of the sequence number. */
    public static final int SEQ = 4;
    /** Offset of the acknowledgment number. */
    public static final int ACK = 8;
    /** Offset of the data offset (high nibble, 32-bit words). */
    public static final int DATA_OFFSET = 12;
    /** Offset of the flags byte. */
    public static final int FLAGS = 13;
    /** Offset of the window. */
    public static final int WINDOW = 14;
    /** Offset of the checksum. */
    public static final int CHECKSUM = 16;
    /** Length of a header without options. */
    public static final int MIN_HEADER_LEN = 20;

    /** FIN flag. */
    public static final int FIN = 0x01;
    /** SYN flag. */
    public static final int SYN = 0x02;
    /** RST flag. */
    public static final int RST = 0x04;
    /** PSH flag. */
    public static final int PSH = 0x08;
    /** ACK flag. */
    public static final int ACK_FLAG = 0x10;
    /** CWR flag (RFC 3168): set on the first segment only when a super-frame is cut. */
    public static final int CWR = 0x80;

    private Tcp() {
    }

    /** Validates a segment with {@code available} bytes of IP payload; null when sound. */
    public static DropReason check(ByteBuf buf, int tcp, int available) {
        if (available < MIN_HEADER_LEN) {
            return DropReason.TCP_TRUNCATED;
        }
        int headerLength = headerLength(buf, tcp);
        if (headerLength < MIN_HEADER_LEN || headerLength > available) {
            return DropReason.TCP_BAD_OFFSET;
        }
        return null;
    }

    /** Source port. */
    public static int srcPort(ByteBuf buf, int tcp) {
        return buf.getUnsignedShort(tcp + SRC_PORT);
    }

    /** Destination port. */
    public static int dstPort(ByteBuf buf, int tcp) {
        return buf.getUnsignedShort(tcp + DST_PORT);
    }

    /** Header length in bytes. */
    public static int headerLength(ByteBuf buf, int tcp) {
        return (buf.getUnsignedByte(tcp + DATA_OFFSET) >>> 4) * 4;
    }

    /** Flags byte (FIN, SYN, RST, PSH, ACK, URG, ECE, CWR). */
    public static int flags(ByteBuf buf, int tcp) {
        return buf.getUnsignedByte(tcp + FLAGS);
    }

    /** Computes and stores the checksum over {@code segmentLength} bytes with the IPv4 pseudo-header. */
    public static void updateChecksum(ByteBuf buf, int tcp, int segmentLength, int srcIp, int dstIp) {
        buf.setShort(tcp + CHECKSUM, 0);
        int sum = Checksum.add(buf, tcp, segmentLength, Checksum.pseudoHeader(srcIp, dstIp, Ipv4.PROTO_TCP, segmentLength));
        buf.setShort(tcp + CHECKSUM, Checksum.finish(sum));
    }
}
