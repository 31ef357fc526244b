package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.conntrack.Conn;
import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.wire.Checksum;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.NatRewrite;
import io.netty.buffer.ByteBuf;

/**
 * Translates ICMP errors that quote a packet of a NATed connection (RFC 5508 section 4; netfilter's
 * nf_nat_icmp_reply_translation), so traceroute and path-MTU discovery work through NAT.
 *
 * <p>A packet of direction d leaves translated as the inverse of the other direction's tuple, so the inverse of the
 * quoted packet is that other tuple, and looking it up gives the connection and the direction the error travels in.
 * The quote is restored to the tuple its sender sent, the outer destination becomes that sender, and the outer
 * source, when it is the endpoint the quote was addressed to, becomes the address the sender knows. Every changed
 * word inside the ICMP message updates the ICMP checksum incrementally, as do the quote's own IPv4 and TCP/UDP/ICMP
 * checksums (when the quote holds them; a UDP checksum of 0 stays 0). A quote of another protocol (tracked by its
 * addresses alone) has only its addresses restored.
 */
final class IcmpErrorNat {
    private static final int MIN_QUOTE = Ipv4.MIN_HEADER_LEN + 8;

    private IcmpErrorNat() {
    }

    /** {@link #translate}: the error is about no connection the router knows (netfilter's INVALID). */
    static final int UNRELATED = 0;
    /** {@link #translate}: the error is about a known connection that is not translated; left as it is. */
    static final int RELATED = 1;
    /** {@link #translate}: the error was about a translated connection, and is translated. */
    static final int TRANSLATED = 2;

    /** What {@link #translate}'s answer means, for a decision trace. */
    static String describe(int related) {
        return switch (related) {
            case TRANSLATED -> "an ICMP error about a translated connection (related): translated back";
            case RELATED -> "an ICMP error about a tracked connection (related): not tracked itself";
            default -> "not tracked: about no known connection, opening none (invalid)";
        };
    }

    /**
     * Translates the error at {@code icmp} (of {@code length} bytes) in place when it is about a translated
     * connection; says whether it was ({@link #TRANSLATED}), is about a connection left as it is ({@link #RELATED}),
     * or about none ({@link #UNRELATED}).
     */
    static int translate(ConnTable table, long now, ByteBuf buf, int ip, int icmp, int length) {
        int inner = icmp + Icmp4.HEADER_LEN;
        int quoted = length - Icmp4.HEADER_LEN;
        if (quoted < MIN_QUOTE || (buf.getUnsignedByte(inner) >>> 4) != 4) {
            return UNRELATED;
        }
        int innerHeader = (buf.getUnsignedByte(inner) & 0x0F) * 4;
        if (innerHeader < Ipv4.MIN_HEADER_LEN || innerHeader + 8 > quoted) {
            return UNRELATED;
        }
        int protocol = Ipv4.protocol(buf, inner);
        int l4 = inner + innerHeader;
        int l4Quoted = quoted - innerHeader;
        int qSrc = Ipv4.src(buf, inner);
        int qDst = Ipv4.dst(buf, inner);
        int qSrcPort;
        int qDstPort;
        if (protocol == Ipv4.PROTO_TCP || protocol == Ipv4.PROTO_UDP) {
            qSrcPort = buf.getUnsignedShort(l4);
            qDstPort = buf.getUnsignedShort(l4 + 2);
        } else if (protocol == Ipv4.PROTO_ICMP) {
            int type = buf.getUnsignedByte(l4);
            int id = buf.getUnsignedShort(l4 + Icmp4.ECHO_ID);
            if (Icmp4.isQueryRequest(type)) {
                qSrcPort = id;
                qDstPort = 0;
            } else if (Icmp4.isQueryReply(type)) {
                qSrcPort = 0;
                qDstPort = id;
            } else {
                return UNRELATED;
            }
        } else { // tracked by its addresses alone (see FlowKey.hasPorts)
            qSrcPort = 0;
            qDstPort = 0;
        }
        int handle = table.lookup(FlowKey.hi(qDst, qSrc), FlowKey.lo(protocol, qDstPort, qSrcPort), now);
        if (handle == ConnTable.NONE) {
            return UNRELATED;
        }
        int id = Conn.id(handle);
        if ((table.flags(id) & Conn.TRANSLATED) == 0) {
            return RELATED;
        }
        boolean reply = !Conn.isOriginal(handle);
        // x: the tuple the quoted packet had when its sender sent it; y: the other direction's tuple.
        long xHi = reply ? table.origHi(id) : table.replyHi(id);
        long xLo = reply ? table.origLo(id) : table.replyLo(id);
        long yHi = reply ? table.replyHi(id) : table.origHi(id);

        int outerSrc = Ipv4.src(buf, ip);
        // The error itself: to the sender as it knows itself, and from the endpoint (when that answered) as the sender
        // knows it. An ICMP error has no ports and no pseudo-header: the addresses and the IPv4 checksum.
        int outer = NatRewrite.DST_ADDRESS | (outerSrc == FlowKey.src(yHi) ? NatRewrite.SRC_ADDRESS : 0);
        NatRewrite.translate(buf, ip, icmp, Ipv4.PROTO_ICMP, outer, FlowKey.dst(xHi), FlowKey.src(xHi), 0, 0, false);

        rewriteQuote(buf, icmp, inner, l4, l4Quoted, protocol, xHi, xLo);
        return TRANSLATED;
    }

    private static void rewriteQuote(ByteBuf buf, int icmp, int inner, int l4, int l4Quoted, int protocol, long xHi,
                                     long xLo) {
        int oldSrc = Ipv4.src(buf, inner);
        int oldDst = Ipv4.dst(buf, inner);
        int newSrc = FlowKey.src(xHi);
        int newDst = FlowKey.dst(xHi);
        int innerCsum = buf.getUnsignedShort(inner + Ipv4.CHECKSUM);
        innerCsum = Checksum.update32(Checksum.update32(innerCsum, oldSrc, newSrc), oldDst, newDst);
        set32(buf, icmp, inner + Ipv4.SRC, newSrc);
        set32(buf, icmp, inner + Ipv4.DST, newDst);
        set16(buf, icmp, inner + Ipv4.CHECKSUM, innerCsum);
        if (!FlowKey.hasPorts(protocol)) {
            return; // only the addresses were translated
        }
        if (protocol == Ipv4.PROTO_ICMP) {
            int at = l4 + Icmp4.ECHO_ID;
            int oldId = buf.getUnsignedShort(at);
            int newId = Icmp4.isQueryRequest(buf.getUnsignedByte(l4)) ? FlowKey.srcPort(xLo) : FlowKey.dstPort(xLo);
            set16(buf, icmp, at, newId);
            set16(buf, icmp, l4 + Icmp4.CHECKSUM,
                    Checksum.update16(buf.getUnsignedShort(l4 + Icmp4.CHECKSUM), oldId, newId));
            return;
        }
        int oldSport = buf.getUnsignedShort(l4);
        int oldDport = buf.getUnsignedShort(l4 + 2);
        int newSport = FlowKey.srcPort(xLo);
        int newDport = FlowKey.dstPort(xLo);
        set16(buf, icmp, l4, newSport);
        set16(buf, icmp, l4 + 2, newDport);
        int csumAt = protocol == Ipv4.PROTO_UDP ? l4 + 6 : l4 + 16;
        if (csumAt + 2 - l4 > l4Quoted) {
            return; // the quote is too short to hold the transport checksum
        }
        int csum = buf.getUnsignedShort(csumAt);
        if (protocol == Ipv4.PROTO_UDP && csum == 0) {
            return;
        }
        csum = Checksum.update32(csum, oldSrc, newSrc);
        csum = Checksum.update32(csum, oldDst, newDst);
        csum = Checksum.update16(csum, oldSport, newSport);
        csum = Checksum.update16(csum, oldDport, newDport);
        set16(buf, icmp, csumAt, protocol == Ipv4.PROTO_UDP && csum == 0 ? 0xFFFF : csum);
    }

    /** Writes a 16-bit word inside the ICMP message at {@code icmp} and keeps the ICMP checksum right. */
    private static void set16(ByteBuf buf, int icmp, int at, int value) {
        int old = buf.getUnsignedShort(at);
        buf.setShort(at, value);
        buf.setShort(icmp + Icmp4.CHECKSUM, Checksum.update16(buf.getUnsignedShort(icmp + Icmp4.CHECKSUM), old, value));
    }

    /** Writes a 32-bit value inside the ICMP message at {@code icmp} and keeps the ICMP checksum right. */
    private static void set32(ByteBuf buf, int icmp, int at, int value) {
        int old = buf.getInt(at);
        buf.setInt(at, value);
        buf.setShort(icmp + Icmp4.CHECKSUM, Checksum.update32(buf.getUnsignedShort(icmp + Icmp4.CHECKSUM), old, value));
    }
}
