package dev.vnet.dataplane.conntrack;

import dev.vnet.dataplane.wire.Ipv4Addr;

/**
 * A flow tuple (protocol, source address and port, destination address and port) packed into two {@code long}s, so
 * tables hold and compare tuples without objects: {@code hi} = source address and destination address,
 * {@code lo} = protocol, source port, destination port. For ICMP queries (echo, timestamp, ...) the "ports" are the
 * identifier in the requester's direction: a request is (id, 0), a reply (0, id), so the reply tuple of a request's
 * tuple is its inverse like any other protocol's. Protocols without ports ({@link #hasPorts}) have both ports 0.
 */
public final class FlowKey {
    /**
     * The family bit of a low word: set in an IPv6 tuple, whose "addresses" in the high word are the handles
     * {@link ConnTable} holds IPv6 addresses by ({@link Ipv6Handles}); an IPv4 tuple and an IPv6 one never match.
     */
    public static final long V6 = 1L << 40;

    private FlowKey() {
    }

    /** True for the low word of an IPv6 tuple. */
    public static boolean isV6(long lo) {
        return (lo & V6) != 0;
    }

    /** True for ICMP (1) and ICMPv6 (58), whose queries are tracked by identifier. */
    public static boolean isIcmp(int protocol) {
        return protocol == 1 || protocol == 58;
    }

    /** The high word: source and destination address. */
    public static long hi(int src, int dst) {
        return ((long) src << 32) | (dst & 0xFFFF_FFFFL);
    }

    /** The low word: protocol and ports. */
    public static long lo(int protocol, int srcPort, int dstPort) {
        return ((long) protocol << 32) | ((long) (srcPort & 0xFFFF) << 16) | (dstPort & 0xFFFF);
    }

    /** Source address of a high word. */
    public static int src(long hi) {
        return (int) (hi >>> 32);
    }

    /** Destination address of a high word. */
    public static int dst(long hi) {
        return (int) hi;
    }

    /** Protocol of a low word. */
    public static int protocol(long lo) {
        return (int) (lo >>> 32) & 0xFF;
    }

    /** Source port of a low word. */
    public static int srcPort(long lo) {
        return (int) (lo >>> 16) & 0xFFFF;
    }

    /** Destination port of a low word. */
    public static int dstPort(long lo) {
        return (int) lo & 0xFFFF;
    }

    /** The high word of the inverse tuple (addresses swapped). */
    public static long invertHi(long hi) {
        return hi(dst(hi), src(hi));
    }

    /** The low word of the inverse tuple (ports swapped, the family kept). */
    public static long invertLo(long lo) {
        return lo(protocol(lo), dstPort(lo), srcPort(lo)) | (lo & V6);
    }

    /** Human form, e.g. {@code tcp 192.168.15.1:40000 -> 192.168.1.3:80}. Allocates: control plane only. */
    public static String toString(long hi, long lo) {
        return protocolName(protocol(lo)) + " " + endpoints(hi, lo);
    }

    /** How conntrack names protocol {@code p}: tcp, udp, icmp, icmpv6, or proto-N for one tracked without ports. */
    public static String protocolName(int p) {
        return !hasPorts(p) ? "proto-" + p : p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : "icmpv6";
    }

    /**
     * The tuple's two ends, e.g. {@code 192.168.15.1:40000 -> 192.168.1.3:80} (addresses alone for a protocol
     * without ports). Allocates: control plane only.
     */
    public static String endpoints(long hi, long lo) {
        return endpoints(protocol(lo), src(hi), srcPort(lo), dst(hi), dstPort(lo));
    }

    /** As {@link #endpoints(long, long)}, from the tuple's fields. */
    public static String endpoints(int protocol, int src, int srcPort, int dst, int dstPort) {
        if (!hasPorts(protocol)) {
            return Ipv4Addr.toString(src) + " -> " + Ipv4Addr.toString(dst);
        }
        return Ipv4Addr.toString(src) + ":" + srcPort + " -> " + Ipv4Addr.toString(dst) + ":" + dstPort;
    }

    /**
     * True for the protocols tracked with ports (TCP, UDP, and ICMP and ICMPv6 queries with their identifier); any
     * other protocol is tracked by its addresses alone (its ports are 0), as netfilter's generic tracker does.
     */
    public static boolean hasPorts(int protocol) {
        return protocol == 6 || protocol == 17 || isIcmp(protocol);
    }
}
