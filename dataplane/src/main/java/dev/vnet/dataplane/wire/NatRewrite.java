package dev.vnet.dataplane.wire;

import io.netty.buffer.ByteBuf;

/**
 * The header rewrites NAT performs, each keeping every checksum right by incremental update (RFC 1624), so NAT code
 * need not care which transport it edits: the IPv4 header checksum, the TCP or UDP checksum with its pseudo-header
 * (a UDP checksum of 0, "none", stays 0), and for ICMP echo the identifier (ICMP has no pseudo-header).
 *
 * <p>The transport is touched only when the packet carries its header (not a non-first fragment).
 *
 * <p>A frame with a partial checksum (an offloaded one, {@link Offload#needsChecksum}) holds the uncomplemented
 * pseudo-header sum in its TCP/UDP checksum field, to be completed over the segment by whoever sends it on: an
 * address change adjusts that sum (as the kernel's {@code inet_proto_csum_replace4} does for CHECKSUM_PARTIAL), and
 * a port change needs nothing, since ports are summed when the checksum is completed.
 */
public final class NatRewrite {
    /** For {@link #translate}: the source address changes. */
    public static final int SRC_ADDRESS = 1;
    /** For {@link #translate}: the destination address changes. */
    public static final int DST_ADDRESS = 2;
    /** For {@link #translate}: the TCP/UDP source port changes (of an ICMP query, the identifier). */
    public static final int SRC_PORT = 4;
    /** For {@link #translate}: the TCP/UDP destination port changes (of an ICMP query, the identifier). */
    public static final int DST_PORT = 8;
    /** For {@link #translate}: the whole tuple, both addresses and both ports. */
    public static final int TUPLE = SRC_ADDRESS | DST_ADDRESS | SRC_PORT | DST_PORT;

    private NatRewrite() {
    }

    /**
     * The one NAT rewrite every translation goes through (VPP's {@code nat_6t_flow_t}, gVisor's
     * {@code UpdateHeaders}): sets the fields {@code ops} names ({@link #SRC_ADDRESS}, {@link #DST_ADDRESS},
     * {@link #SRC_PORT}, {@link #DST_PORT}, or'ed) of the packet at {@code ip} to {@code src}, {@code dst},
     * {@code srcPort} and {@code dstPort}, every checksum kept right; {@code partial} when the transport checksum is
     * an offloaded, partial one. {@code l4} is the transport header's index, or -1 when the packet has none (a later
     * fragment: only the addresses and the IPv4 checksum change).
     *
     * <p>A protocol without ports has its addresses alone changed (with the IPv4 checksum: nothing else is known to
     * cover them). An ICMP query has one identifier where TCP and UDP have two ports: a whole tuple sets it from
     * {@code srcPort} in a request and from {@code dstPort} in a reply (the tracker keys it so); one port op sets it
     * from that port.
     */
    public static void translate(ByteBuf buf, int ip, int l4, int protocol, int ops, int src, int dst, int srcPort,
                                 int dstPort, boolean partial) {
        if (ops == TUPLE && l4 >= 0 && (protocol == Ipv4.PROTO_TCP || protocol == Ipv4.PROTO_UDP)) {
            setTuple(buf, ip, l4, protocol == Ipv4.PROTO_UDP, src, dst, srcPort, dstPort, partial); // the fast path
            return;
        }
        if ((ops & SRC_ADDRESS) != 0) {
            setAddress(buf, ip, Ipv4.SRC, src, partial);
        }
        if ((ops & DST_ADDRESS) != 0) {
            setAddress(buf, ip, Ipv4.DST, dst, partial);
        }
        if (l4 < 0 || (ops & (SRC_PORT | DST_PORT)) == 0) {
            return;
        }
        if (protocol == Ipv4.PROTO_ICMP && (ops & (SRC_PORT | DST_PORT)) == (SRC_PORT | DST_PORT)) {
            setPort(buf, ip, true, Icmp4.isQueryRequest(Icmp4.type(buf, l4)) ? srcPort : dstPort, partial);
            return;
        }
        if ((ops & SRC_PORT) != 0) {
            setPort(buf, ip, true, srcPort, partial);
        }
        if ((ops & DST_PORT) != 0) {
            setPort(buf, ip, false, dstPort, partial);
        }
    }

    /** Sets the source address of the packet at {@code ip} (complete checksums). */
    public static void setSrcAddress(ByteBuf buf, int ip, int addr) {
        setAddress(buf, ip, Ipv4.SRC, addr, false);
    }

    /** Sets the destination address of the packet at {@code ip} (complete checksums). */
    public static void setDstAddress(ByteBuf buf, int ip, int addr) {
        setAddress(buf, ip, Ipv4.DST, addr, false);
    }

    /** Sets the source address; {@code partial} when the transport checksum is an offloaded, partial one. */
    public static void setSrcAddress(ByteBuf buf, int ip, int addr, boolean partial) {
        setAddress(buf, ip, Ipv4.SRC, addr, partial);
    }

    /** Sets the destination address; {@code partial} when the transport checksum is an offloaded, partial one. */
    public static void setDstAddress(ByteBuf buf, int ip, int addr, boolean partial) {
        setAddress(buf, ip, Ipv4.DST, addr, partial);
    }

    /** Sets the TCP/UDP source port, or the ICMP echo identifier (complete checksums). */
    public static void setSrcPort(ByteBuf buf, int ip, int port) {
        setPort(buf, ip, true, port, false);
    }

    /** Sets the TCP/UDP destination port, or the ICMP echo identifier (complete checksums). */
    public static void setDstPort(ByteBuf buf, int ip, int port) {
        setPort(buf, ip, false, port, false);
    }

    /** Sets the source port; {@code partial} when the transport checksum is an offloaded, partial one. */
    public static void setSrcPort(ByteBuf buf, int ip, int port, boolean partial) {
        setPort(buf, ip, true, port, partial);
    }

    /** Sets the destination port; {@code partial} when the transport checksum is an offloaded, partial one. */
    public static void setDstPort(ByteBuf buf, int ip, int port, boolean partial) {
        setPort(buf, ip, false, port, partial);
    }

    /**
     * Sets both addresses and both ports of a TCP or UDP packet that carries its transport header (at {@code l4}):
     * the result, checksums included, is byte for byte that of {@link #setSrcAddress}, {@link #setDstAddress},
     * {@link #setSrcPort} and {@link #setDstPort} in that order, with the fields read and written once each (an
     * established NATed connection's every packet is rewritten so).
     */
    public static void setTuple(ByteBuf buf, int ip, int l4, boolean udp, int src, int dst, int srcPort, int dstPort,
                                boolean partial) {
        long oldAddresses = buf.getLong(ip + Ipv4.SRC); // source and destination, adjacent
        int oldSrc = (int) (oldAddresses >>> 32);
        int oldDst = (int) oldAddresses;
        int oldPorts = buf.getInt(l4); // TCP and UDP both start with source and destination port
        int oldSrcPort = oldPorts >>> 16;
        int oldDstPort = oldPorts & 0xFFFF;
        int checksumAt = l4 + (udp ? Udp.CHECKSUM : Tcp.CHECKSUM);
        int l4Checksum = buf.getUnsignedShort(checksumAt);
        if (oldSrc != src || oldDst != dst) {
            int ipChecksum = buf.getUnsignedShort(ip + Ipv4.CHECKSUM);
            if (oldSrc != src) {
                ipChecksum = Checksum.update32(ipChecksum, oldSrc, src);
                l4Checksum = addressInTransport(l4Checksum, oldSrc, src, udp, partial);
            }
            if (oldDst != dst) {
                ipChecksum = Checksum.update32(ipChecksum, oldDst, dst);
                l4Checksum = addressInTransport(l4Checksum, oldDst, dst, udp, partial);
            }
            buf.setLong(ip + Ipv4.SRC, (long) src << 32 | (dst & 0xFFFF_FFFFL));
            buf.setShort(ip + Ipv4.CHECKSUM, ipChecksum);
        }
        srcPort &= 0xFFFF;
        dstPort &= 0xFFFF;
        if (!partial) { // a partial checksum does not cover the ports yet
            if (oldSrcPort != srcPort) {
                l4Checksum = transportChecksum(l4Checksum, oldSrcPort, srcPort, false, udp);
            }
            if (oldDstPort != dstPort) {
                l4Checksum = transportChecksum(l4Checksum, oldDstPort, dstPort, false, udp);
            }
        }
        if (oldSrcPort != srcPort || oldDstPort != dstPort) {
            buf.setInt(l4, srcPort << 16 | dstPort);
        }
        buf.setShort(checksumAt, l4Checksum);
    }

    /** A TCP/UDP checksum field after an address in its pseudo-header changed from {@code old} to {@code addr}. */
    private static int addressInTransport(int field, int old, int addr, boolean udp, boolean partial) {
        if (partial) {
            // The field holds the pseudo-header sum itself, uncomplemented: adjust it as a sum.
            return ~Checksum.update32(~field & 0xFFFF, old, addr) & 0xFFFF;
        }
        return transportChecksum(field, old, addr, true, udp);
    }

    private static void setAddress(ByteBuf buf, int ip, int field, int addr, boolean partial) {
        int old = buf.getInt(ip + field);
        if (old == addr) {
            return;
        }
        buf.setInt(ip + field, addr);
        int csum = buf.getUnsignedShort(ip + Ipv4.CHECKSUM);
        buf.setShort(ip + Ipv4.CHECKSUM, Checksum.update32(csum, old, addr));
        int checksumAt = pseudoHeaderChecksumIndex(buf, ip);
        if (checksumAt >= 0) {
            buf.setShort(checksumAt, addressInTransport(buf.getUnsignedShort(checksumAt), old, addr,
                    Ipv4.protocol(buf, ip) == Ipv4.PROTO_UDP, partial));
        }
    }

    private static void setPort(ByteBuf buf, int ip, boolean source, int port, boolean partial) {
        if (!Ipv4.hasTransportHeader(buf, ip)) {
            return;
        }
        int l4 = ip + Ipv4.headerLength(buf, ip);
        int protocol = Ipv4.protocol(buf, ip);
        int field;
        int checksumAt;
        if (protocol == Ipv4.PROTO_TCP) {
            field = source ? Tcp.SRC_PORT : Tcp.DST_PORT;
            checksumAt = l4 + Tcp.CHECKSUM;
        } else if (protocol == Ipv4.PROTO_UDP) {
            field = source ? Udp.SRC_PORT : Udp.DST_PORT;
            checksumAt = l4 + Udp.CHECKSUM;
        } else if (protocol == Ipv4.PROTO_ICMP && isQuery(Icmp4.type(buf, l4))) {
            field = Icmp4.ECHO_ID;
            checksumAt = l4 + Icmp4.CHECKSUM;
        } else {
            return;
        }
        int old = buf.getUnsignedShort(l4 + field);
        if (old == port) {
            return;
        }
        buf.setShort(l4 + field, port);
        if (!partial) { // a partial checksum does not cover the ports yet
            buf.setShort(checksumAt, transportChecksum(buf.getUnsignedShort(checksumAt), old, port, false,
                    protocol == Ipv4.PROTO_UDP));
        }
    }

    private static boolean isQuery(int icmpType) {
        return Icmp4.isQueryRequest(icmpType) || Icmp4.isQueryReply(icmpType);
    }

    /** Index of the TCP/UDP checksum field that covers the addresses, or -1 when none does. */
    private static int pseudoHeaderChecksumIndex(ByteBuf buf, int ip) {
        if (!Ipv4.hasTransportHeader(buf, ip)) {
            return -1;
        }
        int l4 = ip + Ipv4.headerLength(buf, ip);
        return switch (Ipv4.protocol(buf, ip)) {
            case Ipv4.PROTO_TCP -> l4 + Tcp.CHECKSUM;
            case Ipv4.PROTO_UDP -> l4 + Udp.CHECKSUM;
            default -> -1;
        };
    }

    /** A complete TCP/UDP checksum updated for a 32-bit ({@code wide}) or 16-bit value changing. */
    private static int transportChecksum(int csum, int oldValue, int newValue, boolean wide, boolean udpZeroRule) {
        if (udpZeroRule && csum == 0) {
            return 0; // UDP sent without a checksum: it stays without one
        }
        int updated = wide ? Checksum.update32(csum, oldValue, newValue) : Checksum.update16(csum, oldValue, newValue);
        if (udpZeroRule && updated == 0) {
            updated = 0xFFFF; // a computed 0 is sent as all ones (RFC 768)
        }
        return updated;
    }
}
