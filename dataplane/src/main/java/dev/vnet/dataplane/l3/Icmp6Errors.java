package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6;
import io.netty.buffer.ByteBuf;

import java.util.function.IntFunction;

/**
 * Builds ICMPv6 error messages (RFC 4443 section 3) quoting as much of the offending packet as fits in IPv6's minimum
 * MTU (section 2.4(c)), and says when none may be sent (section 2.4(e)): not about an ICMPv6 error, nor about a
 * packet from the unspecified or a multicast address, nor (but for packet too big and an unrecognized option's
 * parameter problem) about one sent to a multicast address or as a link-layer multicast.
 */
final class Icmp6Errors {
    /** The whole error stays within the minimum MTU. */
    static final int MAX_QUOTE = Ipv6.MIN_MTU - Ipv6.HEADER_LEN - Icmp6.HEADER_LEN;
    private static final int HOP_LIMIT = 64;

    private Icmp6Errors() {
    }

    /**
     * True when an error of {@code type}/{@code code} may answer the packet at {@code ip} (sent as a link multicast or
     * not), whose extension chain walked to {@code walk} ({@link Ipv6#walk}).
     */
    static boolean allowed(ByteBuf buf, int ip, long walk, int type, int code, boolean linkMulticast) {
        long srcHi = Ipv6.srcHi(buf, ip);
        if (Ipv6.isUnspecified(srcHi, Ipv6.srcLo(buf, ip)) || Ipv6.isMulticast(srcHi)) {
            return false;
        }
        boolean anyDestination = type == Icmp6.TYPE_PACKET_TOO_BIG || type == Icmp6.TYPE_PARAMETER_PROBLEM && code == 2;
        if (!anyDestination && (linkMulticast || Ipv6.isMulticast(Ipv6.dstHi(buf, ip)))) {
            return false;
        }
        if (!Ipv6.refused(walk) && !Ipv6.isFragment(walk) && Ipv6.upperProtocol(walk) == Ipv6.NH_ICMPV6) {
            int icmp = ip + Ipv6.upperOffset(walk);
            return icmp >= ip + Ipv6.HEADER_LEN + Ipv6.payloadLength(buf, ip) || !Icmp6.isError(Icmp6.type(buf, icmp));
        }
        return true;
    }

    /** The key the rate limit counts errors to {@code hi:lo} under. */
    static int rateKey(long hi, long lo) {
        long x = hi ^ lo;
        return (int) (x ^ (x >>> 32));
    }

    /**
     * The error frame for the packet at {@code ip}, from {@code srcMac} to {@code dstMac} (0 when neighbour
     * resolution fills it in) and from the address {@code srcHi:srcLo} to the packet's source: type, code and the
     * second word {@code restOfHeader} (an MTU, a pointer), then the packet as far as it fits.
     */
    static ByteBuf build(IntFunction<ByteBuf> allocate, ByteBuf orig, int ip, int type, int code, int restOfHeader,
                         long dstMac, long srcMac, long srcHi, long srcLo) {
        int packet = Ipv6.HEADER_LEN + Ipv6.payloadLength(orig, ip);
        int quote = Math.min(packet, MAX_QUOTE);
        int length = Icmp6.HEADER_LEN + quote;
        int out = Ethernet.HEADER_LEN;
        int icmp = Icmp6Frame.ICMP;
        ByteBuf e = Icmp6Frame.allocate(allocate, dstMac, srcMac, length, HOP_LIMIT, srcHi, srcLo,
                Ipv6.srcHi(orig, ip), Ipv6.srcLo(orig, ip));
        e.setByte(icmp + Icmp6.TYPE, type);
        e.setByte(icmp + Icmp6.CODE, code);
        e.setShort(icmp + Icmp6.CHECKSUM, 0);
        e.setInt(icmp + Icmp6.MTU_OR_POINTER, restOfHeader);
        e.setBytes(icmp + Icmp6.HEADER_LEN, orig, ip, quote);
        Icmp6.updateChecksum(e, out, icmp, length);
        return e;
    }
}
