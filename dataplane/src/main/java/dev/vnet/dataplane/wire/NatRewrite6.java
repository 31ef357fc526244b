package dev.vnet.dataplane.wire;

import io.netty.buffer.ByteBuf;

/**
 * The header rewrites NAT66 performs (stateful NAT of IPv6, as the kernel's nf_nat does for ip6tables MASQUERADE and
 * DNAT; not RFC 6296's stateless prefix translation), each keeping the transport checksum right by incremental update
 * (RFC 1624): IPv6 has no header checksum, but TCP's, UDP's and ICMPv6's cover a pseudo-header with both addresses
 * (RFC 8200 section 8.1), so an address change updates them, as {@link NatRewrite} does for IPv4; an ICMPv6 query's
 * identifier stands where TCP and UDP have ports. A partial (offloaded) checksum holds the uncomplemented
 * pseudo-header sum: an address change adjusts it as a sum, a port change needs nothing.
 */
public final class NatRewrite6 {
    private NatRewrite6() {
    }

    /**
     * Sets the fields {@code ops} names ({@link NatRewrite#SRC_ADDRESS} and the rest, or'ed) of the packet at
     * {@code ip}, whose upper-layer header of {@code protocol} is at {@code l4} (-1 when it has none here: a later
     * fragment), every checksum kept right; {@code partial} when the transport checksum is an offloaded, partial one.
     * An ICMPv6 echo's identifier is set from {@code srcPort} in a request and from {@code dstPort} in a reply, as the
     * tracker keys it; a protocol without ports has its addresses alone changed.
     */
    public static void translate(ByteBuf buf, int ip, int l4, int protocol, int ops, long srcHi, long srcLo,
                                 long dstHi, long dstLo, int srcPort, int dstPort, boolean partial) {
        int checksumAt = l4 < 0 ? -1 : checksumIndex(protocol, l4);
        int csum = checksumAt < 0 ? 0 : buf.getUnsignedShort(checksumAt);
        boolean udp = protocol == Ipv6.NH_UDP;
        boolean keepZero = udp && csum == 0 && !partial; // none sent (not valid in IPv6, but never invented here)
        if (partial) {
            csum = ~csum & 0xFFFF; // the field is the pseudo-header sum itself: adjust it as a checksum of a sum
        }
        if ((ops & NatRewrite.SRC_ADDRESS) != 0) {
            csum = address(buf, ip + Ipv6.SRC, srcHi, srcLo, csum);
        }
        if ((ops & NatRewrite.DST_ADDRESS) != 0) {
            csum = address(buf, ip + Ipv6.DST, dstHi, dstLo, csum);
        }
        if (l4 >= 0 && (ops & (NatRewrite.SRC_PORT | NatRewrite.DST_PORT)) != 0) {
            if (protocol == Ipv6.NH_ICMPV6) {
                int type = Icmp6.type(buf, l4);
                if (type == Icmp6.TYPE_ECHO_REQUEST || type == Icmp6.TYPE_ECHO_REPLY) {
                    boolean fromSrc = (ops & NatRewrite.DST_PORT) == 0 || (ops & NatRewrite.SRC_PORT) != 0
                            && type == Icmp6.TYPE_ECHO_REQUEST;
                    csum = word(buf, l4 + Icmp6.ECHO_ID, fromSrc ? srcPort : dstPort, csum, partial);
                }
            } else if (protocol == Ipv6.NH_TCP || udp) {
                if ((ops & NatRewrite.SRC_PORT) != 0) {
                    csum = word(buf, l4, srcPort, csum, partial);
                }
                if ((ops & NatRewrite.DST_PORT) != 0) {
                    csum = word(buf, l4 + 2, dstPort, csum, partial);
                }
            }
        }
        if (checksumAt < 0 || keepZero) {
            return;
        }
        if (partial) {
            csum = ~csum & 0xFFFF;
        } else if (udp && csum == 0) {
            csum = 0xFFFF; // a computed 0 is sent as all ones (RFC 768, RFC 8200 8.1)
        }
        buf.setShort(checksumAt, csum);
    }

    /** Index of the checksum that covers the pseudo-header in a header of {@code protocol} at {@code l4}, or -1. */
    private static int checksumIndex(int protocol, int l4) {
        return switch (protocol) {
            case Ipv6.NH_TCP -> l4 + Tcp.CHECKSUM;
            case Ipv6.NH_UDP -> l4 + Udp.CHECKSUM;
            case Ipv6.NH_ICMPV6 -> l4 + Icmp6.CHECKSUM;
            default -> -1;
        };
    }

    /** Writes the address at {@code at} and returns {@code csum} updated for the change. */
    private static int address(ByteBuf buf, int at, long hi, long lo, int csum) {
        long oldHi = buf.getLong(at);
        long oldLo = buf.getLong(at + 8);
        if (oldHi == hi && oldLo == lo) {
            return csum;
        }
        buf.setLong(at, hi);
        buf.setLong(at + 8, lo);
        return update128(csum, oldHi, oldLo, hi, lo);
    }

    /** Writes the 16-bit word at {@code at}; a complete checksum covers it, a partial one does not yet. */
    private static int word(ByteBuf buf, int at, int value, int csum, boolean partial) {
        int old = buf.getUnsignedShort(at);
        value &= 0xFFFF;
        if (old == value) {
            return csum;
        }
        buf.setShort(at, value);
        return partial ? csum : Checksum.update16(csum, old, value);
    }

    /** {@code csum} updated for a 128-bit value changing from {@code oldHi:oldLo} to {@code hi:lo}. */
    public static int update128(int csum, long oldHi, long oldLo, long hi, long lo) {
        csum = Checksum.update32(csum, (int) (oldHi >>> 32), (int) (hi >>> 32));
        csum = Checksum.update32(csum, (int) oldHi, (int) hi);
        csum = Checksum.update32(csum, (int) (oldLo >>> 32), (int) (lo >>> 32));
        return Checksum.update32(csum, (int) oldLo, (int) lo);
    }
}
