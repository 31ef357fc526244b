package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;

/**
 * ICMPv6 header view (RFC 4443): type, code, and a checksum over the IPv6 pseudo-header and the whole message; the
 * message types a router meets, errors (below 128) and informational ones, neighbour discovery's among them
 * ({@link Ndp}).
 */
public final class Icmp6 {
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
    /** Offset of a packet-too-big message's MTU, of a parameter problem's pointer (32 bits each). */
    public static final int MTU_OR_POINTER = 4;
    /** Length of the header with its second word. */
    public static final int HEADER_LEN = 8;
    /** Length of type, code and checksum: the least a message has. */
    public static final int MIN_LEN = 4;

    /** Destination unreachable. */
    public static final int TYPE_DEST_UNREACHABLE = 1;
    /** Packet too big (the MTU in the second word). */
    public static final int TYPE_PACKET_TOO_BIG = 2;
    /** Time exceeded. */
    public static final int TYPE_TIME_EXCEEDED = 3;
    /** Parameter problem (the pointer in the second word). */
    public static final int TYPE_PARAMETER_PROBLEM = 4;
    /** Echo request. */
    public static final int TYPE_ECHO_REQUEST = 128;
    /** Echo reply. */
    public static final int TYPE_ECHO_REPLY = 129;
    /** Router solicitation. */
    public static final int TYPE_ROUTER_SOLICITATION = 133;
    /** Router advertisement. */
    public static final int TYPE_ROUTER_ADVERTISEMENT = 134;
    /** Neighbour solicitation. */
    public static final int TYPE_NEIGHBOR_SOLICITATION = 135;
    /** Neighbour advertisement. */
    public static final int TYPE_NEIGHBOR_ADVERTISEMENT = 136;
    /** Redirect. */
    public static final int TYPE_REDIRECT = 137;

    private Icmp6() {
    }

    /**
     * Validates the message of {@code length} bytes at {@code icmp} inside the IPv6 packet at {@code ip}, checksum
     * included; null when sound.
     */
    public static DropReason check(ByteBuf buf, int ip, int icmp, int length) {
        if (length < MIN_LEN) {
            return DropReason.ICMPV6_TRUNCATED;
        }
        int sum = Checksum.add(buf, icmp, length, Ipv6.pseudoHeader(buf, ip, Ipv6.NH_ICMPV6, length));
        if (Checksum.fold(sum) != 0xFFFF) {
            return DropReason.ICMPV6_BAD_CHECKSUM;
        }
        return null;
    }

    /** Computes and stores the checksum of the message of {@code length} bytes at {@code icmp} in the packet at {@code ip}. */
    public static void updateChecksum(ByteBuf buf, int ip, int icmp, int length) {
        buf.setShort(icmp + CHECKSUM, 0);
        int sum = Checksum.add(buf, icmp, length, Ipv6.pseudoHeader(buf, ip, Ipv6.NH_ICMPV6, length));
        buf.setShort(icmp + CHECKSUM, Checksum.finish(sum));
    }

    /** Type. */
    public static int type(ByteBuf buf, int icmp) {
        return buf.getUnsignedByte(icmp + TYPE);
    }

    /** Code. */
    public static int code(ByteBuf buf, int icmp) {
        return buf.getUnsignedByte(icmp + CODE);
    }

    /** True for an error message (types below 128), which must never be answered with another error. */
    public static boolean isError(int type) {
        return type < 128;
    }
}
