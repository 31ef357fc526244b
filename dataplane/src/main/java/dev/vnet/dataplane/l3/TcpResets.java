package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Tcp;
import io.netty.buffer.ByteBuf;

import java.util.function.IntFunction;

/**
 * Builds the reset the router answers a TCP segment to one of its addresses with (it serves no TCP port), as the
 * kernel does for a port nothing listens on (RFC 793 "Reset Generation", the kernel's tcp_v4_send_reset): to a
 * segment with ACK, a RST whose sequence number is that acknowledgment; to one without, a RST|ACK with sequence 0
 * acknowledging everything the segment occupied (its data, SYN and FIN). Never in answer to a reset.
 */
final class TcpResets {
    private static final int LENGTH = Ipv4.MIN_HEADER_LEN + Tcp.MIN_HEADER_LEN;

    private TcpResets() {
    }

    /** True when the segment at {@code tcp} may be answered with a reset: it is not one itself. */
    static boolean allowed(ByteBuf buf, int tcp) {
        return (Tcp.flags(buf, tcp) & Tcp.RST) == 0;
    }

    /**
     * The reset (Ethernet header left for the output path to fill) answering the checked segment at {@code tcp} of
     * the packet at {@code ip}, with IP identification {@code id}.
     */
    static ByteBuf build(IntFunction<ByteBuf> allocate, ByteBuf orig, int ip, int tcp, int id) {
        int flags = Tcp.flags(orig, tcp);
        int occupied = Ipv4.totalLength(orig, ip) - Ipv4.headerLength(orig, ip) - Tcp.headerLength(orig, tcp)
                + ((flags & Tcp.SYN) != 0 ? 1 : 0) + ((flags & Tcp.FIN) != 0 ? 1 : 0);
        boolean acked = (flags & Tcp.ACK_FLAG) != 0;
        ByteBuf out = allocate.apply(Ethernet.HEADER_LEN + LENGTH);
        out.writeZero(Ethernet.HEADER_LEN + LENGTH);
        Ethernet.setType(out, 0, Ethernet.TYPE_IPV4);
        int oip = Ethernet.HEADER_LEN;
        int src = Ipv4.dst(orig, ip);
        int dst = Ipv4.src(orig, ip);
        Ipv4.write(out, oip, LENGTH, id, Ipv4.FLAG_DF, 64, Ipv4.PROTO_TCP, src, dst);
        int otcp = oip + Ipv4.MIN_HEADER_LEN;
        out.setShort(otcp + Tcp.SRC_PORT, Tcp.dstPort(orig, tcp));
        out.setShort(otcp + Tcp.DST_PORT, Tcp.srcPort(orig, tcp));
        out.setInt(otcp + Tcp.SEQ, acked ? orig.getInt(tcp + Tcp.ACK) : 0);
        out.setInt(otcp + Tcp.ACK, acked ? 0 : orig.getInt(tcp + Tcp.SEQ) + occupied);
        out.setByte(otcp + Tcp.DATA_OFFSET, (Tcp.MIN_HEADER_LEN / 4) << 4);
        out.setByte(otcp + Tcp.FLAGS, acked ? Tcp.RST : Tcp.RST | Tcp.ACK_FLAG);
        Tcp.updateChecksum(out, otcp, Tcp.MIN_HEADER_LEN, src, dst);
        return out;
    }
}
