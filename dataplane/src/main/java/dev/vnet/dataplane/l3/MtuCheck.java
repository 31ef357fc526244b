package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.SoftwareOffload;
import io.netty.buffer.ByteBuf;

/**
 * The egress MTU (RFC 791 section 3.2, RFC 1191, RFC 1812 section 5.2.6): a packet that fits goes on; one that does
 * not is answered with ICMP fragmentation needed carrying the next-hop MTU when DF is set (so path-MTU discovery
 * works), and otherwise cut into fragments, each sent on its own. Fragments copy the whole header, options included.
 */
final class MtuCheck implements Stage {
    private final Router router;

    MtuCheck(Router router) {
        this.router = router;
    }

    @Override
    public Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        RouterInterface out = router.iface(frame.outInterface());
        int total = Ipv4.totalLength(buf, ip);
        if (Offload.isGso(frame.offload())) {
            // A super-frame leaves as segments: what must fit is one segment (as skb_gso_validate_network_len).
            total = segmentLength(buf, ip, Offload.gsoSize(frame.offload()), total);
        }
        if (total <= out.mtu()) {
            return router.neighborOutput;
        }
        if (Offload.isGso(frame.offload())) {
            // Segments too big for the link: DF is set on TCP super-frames, so the sender learns the path MTU.
            router.sendIcmpError(frame, Icmp4.TYPE_DEST_UNREACHABLE, 4, out.mtu() & 0xFFFF);
            return frame.drop(DropReason.FRAGMENTATION_NEEDED);
        }
        if (Ipv4.dontFragment(buf, ip)) {
            router.sendIcmpError(frame, Icmp4.TYPE_DEST_UNREACHABLE, 4, out.mtu() & 0xFFFF);
            return frame.drop(DropReason.FRAGMENTATION_NEEDED);
        }
        if (Offload.needsChecksum(frame.offload())) {
            // Fragments cannot carry an offload: the checksum covers the whole datagram, so finish it first.
            SoftwareOffload.completeChecksum(buf, frame.start(), frame.length(), frame.offload());
        }
        fragment(frame, buf, ip, out);
        return frame.local(); // the original is released; its fragments go on
    }

    /** The IP length of one segment of a TCP super-frame: headers plus at most {@code mss} bytes of payload. */
    private static int segmentLength(ByteBuf buf, int ip, int mss, int total) {
        int l4 = ip + Ipv4.headerLength(buf, ip);
        int headers = Ipv4.headerLength(buf, ip) + (buf.getUnsignedByte(l4 + dev.vnet.dataplane.wire.Tcp.DATA_OFFSET)
                >>> 4) * 4;
        return Math.min(total, headers + mss);
    }

    private void fragment(Frame frame, ByteBuf buf, int ip, RouterInterface out) {
        int headerLength = Ipv4.headerLength(buf, ip);
        int payload = Ipv4.totalLength(buf, ip) - headerLength;
        int chunk = (out.mtu() - headerLength) & ~7;
        int flags = Ipv4.flagsFragment(buf, ip);
        int baseOffset = flags & Ipv4.FRAGMENT_OFFSET_MASK;
        boolean moreAfterThis = (flags & Ipv4.FLAG_MF) != 0;
        for (int at = 0; at < payload; at += chunk) {
            int length = Math.min(chunk, payload - at);
            ByteBuf f = frame.allocate(Ethernet.HEADER_LEN + headerLength + length);
            f.writeBytes(buf, frame.start(), Ethernet.HEADER_LEN);
            f.writeBytes(buf, ip, headerLength);
            f.writeBytes(buf, ip + headerLength + at, length);
            int fip = Ethernet.HEADER_LEN;
            boolean more = at + length < payload || moreAfterThis;
            f.setShort(fip + Ipv4.TOTAL_LENGTH, headerLength + length);
            f.setShort(fip + Ipv4.FLAGS_FRAGMENT, (more ? Ipv4.FLAG_MF : 0) | (baseOffset + at / 8));
            Ipv4.updateChecksum(f, fip);
            frame.inject(out.port(), router.localOutput, f);
        }
    }
}
