package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.conntrack.Conn;
import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.wire.Checksum;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.NatRewrite6;
import io.netty.buffer.ByteBuf;

/**
 * Translates ICMPv6 errors that quote a packet of a translated connection (RFC 5508 section 4 as it applies to NAT66;
 * the kernel's nf_nat_icmpv6_reply_translation), so traceroute and path-MTU discovery work through NAT66, as
 * {@link IcmpErrorNat} does for IPv4: the quote restored to the tuple its sender sent, the outer destination made that
 * sender, the outer source, when it is the endpoint the quote was addressed to, the address the sender knows. The
 * quote's TCP, UDP or ICMPv6 checksum is updated incrementally when the quote holds it; the ICMPv6 checksum, which covers the
 * outer addresses and the whole message, is computed again (an error is at most 1280 bytes, and rare). A quote whose
 * upper-layer header is behind extension headers is left as it is.
 */
final class Icmp6ErrorNat {
    private static final int MIN_QUOTE = Ipv6.HEADER_LEN + 8;

    private Icmp6ErrorNat() {
    }

    /**
     * Translates the error at {@code icmp} ({@code length} bytes) of the packet at {@code ip} in place when it is
     * about a translated connection: {@link IcmpErrorNat#TRANSLATED}, {@link IcmpErrorNat#RELATED} (about a known
     * connection, left as it is) or {@link IcmpErrorNat#UNRELATED}, as for IPv4.
     */
    static int translate(ConnTable table, long now, ByteBuf buf, int ip, int icmp, int length) {
        int inner = icmp + Icmp6.HEADER_LEN;
        int quoted = length - Icmp6.HEADER_LEN;
        if (quoted < MIN_QUOTE || (buf.getUnsignedByte(inner) >>> 4) != 6) {
            return IcmpErrorNat.UNRELATED;
        }
        int protocol = Ipv6.nextHeader(buf, inner);
        int l4 = inner + Ipv6.HEADER_LEN;
        int qSrcPort;
        int qDstPort;
        if (protocol == Ipv6.NH_TCP || protocol == Ipv6.NH_UDP) {
            qSrcPort = buf.getUnsignedShort(l4);
            qDstPort = buf.getUnsignedShort(l4 + 2);
        } else if (protocol == Ipv6.NH_ICMPV6) {
            int type = Icmp6.type(buf, l4);
            int id = buf.getUnsignedShort(l4 + Icmp6.ECHO_ID);
            if (type == Icmp6.TYPE_ECHO_REQUEST) {
                qSrcPort = id;
                qDstPort = 0;
            } else if (type == Icmp6.TYPE_ECHO_REPLY) {
                qSrcPort = 0;
                qDstPort = id;
            } else {
                return IcmpErrorNat.UNRELATED;
            }
        } else if (protocol == Ipv6.NH_HOP_BY_HOP || protocol == Ipv6.NH_ROUTING || protocol == Ipv6.NH_FRAGMENT
                || protocol == Ipv6.NH_DEST_OPTS) {
            return IcmpErrorNat.UNRELATED;
        } else {
            qSrcPort = 0;
            qDstPort = 0;
        }
        // The inverse of the quoted packet's tuple is the other direction's, as for IPv4.
        int handle = table.lookup6(Ipv6.dstHi(buf, inner), Ipv6.dstLo(buf, inner), Ipv6.srcHi(buf, inner),
                Ipv6.srcLo(buf, inner), FlowKey.lo(protocol, qDstPort, qSrcPort) | FlowKey.V6, now);
        if (handle == ConnTable.NONE) {
            return IcmpErrorNat.UNRELATED;
        }
        int id = Conn.id(handle);
        if ((table.flags(id) & Conn.TRANSLATED) == 0) {
            return IcmpErrorNat.RELATED;
        }
        boolean reply = !Conn.isOriginal(handle);
        // x: the tuple the quoted packet had when its sender sent it; y: the other direction's tuple.
        long xHi = reply ? table.origHi(id) : table.replyHi(id);
        long xLo = reply ? table.origLo(id) : table.replyLo(id);
        long yHi = reply ? table.replyHi(id) : table.origHi(id);
        int xSrc = FlowKey.src(xHi);
        int xDst = FlowKey.dst(xHi);
        int ySrc = FlowKey.src(yHi);

        // The quote: addresses and ports (ICMPv6 echo: the identifier) as the sender sent them.
        int l4Quoted = quoted - Ipv6.HEADER_LEN;
        int csumAt = protocol == Ipv6.NH_TCP ? l4 + 16 : protocol == Ipv6.NH_UDP ? l4 + 6
                : protocol == Ipv6.NH_ICMPV6 ? l4 + Icmp6.CHECKSUM : -1;
        int csum = csumAt >= 0 && csumAt + 2 - l4 <= l4Quoted ? buf.getUnsignedShort(csumAt) : -1;
        boolean udpNone = protocol == Ipv6.NH_UDP && csum == 0;
        csum = address(buf, inner + Ipv6.SRC, table.address6Hi(xSrc), table.address6Lo(xSrc), csum);
        csum = address(buf, inner + Ipv6.DST, table.address6Hi(xDst), table.address6Lo(xDst), csum);
        if (protocol == Ipv6.NH_ICMPV6) {
            csum = port(buf, l4 + Icmp6.ECHO_ID, Icmp6.type(buf, l4) == Icmp6.TYPE_ECHO_REQUEST ? FlowKey.srcPort(xLo)
                    : FlowKey.dstPort(xLo), csum);
        } else if (FlowKey.hasPorts(protocol)) {
            csum = port(buf, l4, FlowKey.srcPort(xLo), csum);
            csum = port(buf, l4 + 2, FlowKey.dstPort(xLo), csum);
        }
        if (csum >= 0 && !udpNone) {
            buf.setShort(csumAt, protocol == Ipv6.NH_UDP && csum == 0 ? 0xFFFF : csum);
        }
        // The error itself: to the sender as it knows itself, from the endpoint as the sender knows it.
        if (Ipv6.srcHi(buf, ip) == table.address6Hi(ySrc) && Ipv6.srcLo(buf, ip) == table.address6Lo(ySrc)) {
            buf.setLong(ip + Ipv6.SRC, table.address6Hi(xDst));
            buf.setLong(ip + Ipv6.SRC + 8, table.address6Lo(xDst));
        }
        buf.setLong(ip + Ipv6.DST, table.address6Hi(xSrc));
        buf.setLong(ip + Ipv6.DST + 8, table.address6Lo(xSrc));
        Icmp6.updateChecksum(buf, ip, icmp, length);
        return IcmpErrorNat.TRANSLATED;
    }

    /** Writes the address at {@code at}; returns {@code csum} (-1: none to keep) updated for the change. */
    private static int address(ByteBuf buf, int at, long hi, long lo, int csum) {
        long oldHi = buf.getLong(at);
        long oldLo = buf.getLong(at + 8);
        buf.setLong(at, hi);
        buf.setLong(at + 8, lo);
        return csum < 0 ? csum : NatRewrite6.update128(csum, oldHi, oldLo, hi, lo);
    }

    private static int port(ByteBuf buf, int at, int value, int csum) {
        int old = buf.getUnsignedShort(at);
        buf.setShort(at, value);
        return csum < 0 ? csum : Checksum.update16(csum, old, value);
    }
}
