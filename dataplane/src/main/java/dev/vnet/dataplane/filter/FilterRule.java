package dev.vnet.dataplane.filter;

import dev.vnet.dataplane.wire.IpPrefix;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Cidr;

/**
 * One rule of the router's filter, as the dataplane matches it: every field either a value or "any". A rule of the
 * topology that names a namespace of both families becomes one of these per family, sharing the topology rule's
 * counters ({@code rule}).
 *
 * @param rule       the index of the topology rule this comes from (its counters, its name in traces)
 * @param inIface    the router interface the packet arrived on, or {@link #ANY}
 * @param outIface   the router interface it leaves by, or {@link #ANY}
 * @param src        the source prefix, or null for any (and then either family)
 * @param dst        the destination prefix, or null for any; of the source's family when both are given
 * @param protocol   6, 17, 1, 58 ..., or {@link #ANY}
 * @param portLow    TCP/UDP destination port range (ICMP: the type range), 0..65535 for any
 * @param portHigh   the range's end
 * @param states     the connection states it matches, a mask of {@link #NEW} and {@link #INVALID}; 0 for any
 * @param forwarded  1: only connections a port forward made; 0: only others; {@link #ANY}: either
 * @param action     what happens to a packet it matches
 */
public record FilterRule(int rule, int inIface, int outIface, IpPrefix src, IpPrefix dst, int protocol, int portLow,
                         int portHigh, int states, int forwarded, Action action) {
    /** "Any" for an interface, a protocol or the forwarded flag. */
    public static final int ANY = -1;
    /** State bit: the first packet of a connection that opens it (a TCP SYN; any other protocol's first packet). */
    public static final int NEW = 1;
    /** State bit: a first packet that opens nothing (a TCP segment without SYN of no connection known). */
    public static final int INVALID = 2;

    /** What a rule does. */
    public enum Action {
        /** The connection is made. */
        ACCEPT,
        /** The packet is dropped silently. */
        DROP,
        /**
         * The packet is dropped and its sender told: a TCP reset (nft's {@code reject with tcp reset}), anything else
         * ICMP port unreachable (nft's {@code reject}).
         */
        REJECT,
        /** As {@link #REJECT}, answering every protocol, TCP too, with ICMP (ICMPv6) port unreachable. */
        REJECT_PORT_UNREACHABLE,
        /** As {@link #REJECT}, answering every protocol with ICMP (ICMPv6) administratively prohibited. */
        REJECT_ADMIN_PROHIBITED
    }

    /** Checks the fields. */
    public FilterRule {
        if (portLow < 0 || portHigh > 65535 || portLow > portHigh) {
            throw new IllegalArgumentException("port range " + portLow + "-" + portHigh + " is not within 0-65535");
        }
        if (src != null && dst != null && (src instanceof Ipv6Cidr) != (dst instanceof Ipv6Cidr)) {
            throw new IllegalArgumentException("source " + src + " and destination " + dst + " are of two families");
        }
        if (forwarded != ANY && forwarded != 0 && forwarded != 1) {
            throw new IllegalArgumentException("forwarded must be 0, 1 or ANY");
        }
    }

    /** True when the rule applies to one family only: 4 or 6; 0 when to both. */
    public int family() {
        IpPrefix p = src != null ? src : dst;
        return p == null ? 0 : p instanceof Ipv4Cidr ? 4 : 6;
    }

    /**
     * True when this rule matches the packet (the plain definition the classifier must agree with; tests walk a list
     * with it): each field the rule names equals the packet's, an address lies in the rule's prefix of its family.
     */
    public boolean matches(boolean v6, int in, int out, long srcHi, long srcLo, long dstHi, long dstLo, int proto,
                           int port, int state, boolean fwd) {
        int f = family();
        return (f == 0 || (f == 6) == v6) && (inIface == ANY || inIface == in) && (outIface == ANY || outIface == out)
                && (protocol == ANY || protocol == proto) && port >= portLow && port <= portHigh
                && (states == 0 || (states & state) != 0) && (forwarded == ANY || (forwarded == 1) == fwd)
                && contains(src, srcHi, srcLo) && contains(dst, dstHi, dstLo);
    }

    private static boolean contains(IpPrefix p, long hi, long lo) {
        if (p instanceof Ipv4Cidr c) {
            return hi == 0 && dev.vnet.dataplane.wire.Ipv4Addr.contains(c.address(), c.prefixLength(), (int) lo)
                    && (lo >>> 32) == 0;
        }
        return p == null || ((Ipv6Cidr) p).contains(hi, lo);
    }

    /** The same rule for connections a port forward made ({@code 1}), others ({@code 0}) or either. */
    public FilterRule withForwarded(int value) {
        return new FilterRule(rule, inIface, outIface, src, dst, protocol, portLow, portHigh, states, value, action);
    }

    /** True when the port range is all ports. */
    public boolean anyPort() {
        return portLow == 0 && portHigh == 65535;
    }
}
