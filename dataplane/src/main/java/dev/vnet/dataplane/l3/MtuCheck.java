package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Offload;
import io.netty.buffer.ByteBuf;

/**
 * The egress MTU, checked before NAT (RFC 791 section 3.2, RFC 1191, RFC 1812 section 5.2.6), as the kernel checks it
 * in ip_forward before POSTROUTING: a packet that fits goes on to {@link NatOut}; one that does not, with DF set (or a
 * TCP super-frame, whose segments carry DF), is answered with ICMP fragmentation needed carrying the next-hop MTU, so
 * path-MTU discovery works, and addressed to the sender as it sent the packet (before MASQUERADE rewrote its source;
 * after it, the error would go to the router itself). A packet without DF goes on through a {@link NatOut} whose
 * successor is the {@link Fragmenter}, which cuts it after NAT.
 */
final class MtuCheck extends Stage {
    private final RouterTables tables;
    private final IcmpError fragmentationNeeded;
    private final NatOut thenFragment;

    /** Answers with {@code fragmentationNeeded}, or sends the packet through {@code thenFragment} to be cut. */
    MtuCheck(RouterTables tables, IcmpError fragmentationNeeded, NatOut thenFragment) {
        this.tables = tables;
        this.fragmentationNeeded = fragmentationNeeded;
        this.thenFragment = thenFragment;
    }

    /**
     * True when the routed packet in {@code frame} fits its egress interface's MTU (a super-frame: one segment of
     * it, as skb_gso_validate_network_len). The routing stages ask this once and send only the packets that do not
     * fit here; nearly all do.
     */
    static boolean fits(RouterTables tables, Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        int total = Ipv4.totalLength(buf, ip);
        if (Offload.isGso(frame.offload())) {
            total = segmentLength(buf, ip, Offload.gsoSize(frame.offload()), total);
        }
        return total <= tables.iface(frame.outInterface()).mtu();
    }

    /** A packet that does not fit (the routing stage checked): fragmentation needed, or fragmented after NAT. */
    @Override
    protected Stage process(Frame frame) {
        RouterInterface out = tables.iface(frame.outInterface());
        if (!Offload.isGso(frame.offload()) && !Ipv4.dontFragment(frame.buf(), frame.l3Offset())) {
            if (frame.traced()) {
                frame.note("bigger than " + out.name() + "'s MTU " + out.mtu() + ", DF clear: fragmented after NAT");
            }
            return thenFragment.run(frame);
        }
        frame.setErrorDetail(out.mtu() & 0xFFFF);
        return fragmentationNeeded;
    }

    /** The IP length of one segment of a TCP super-frame: headers plus at most {@code mss} bytes of payload. */
    private static int segmentLength(ByteBuf buf, int ip, int mss, int total) {
        int l4 = ip + Ipv4.headerLength(buf, ip);
        int headers = Ipv4.headerLength(buf, ip) + (buf.getUnsignedByte(l4 + dev.vnet.dataplane.wire.Tcp.DATA_OFFSET)
                >>> 4) * 4;
        return Math.min(total, headers + mss);
    }
}
