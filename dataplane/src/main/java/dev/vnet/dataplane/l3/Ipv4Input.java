package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;

/**
 * IPv4 arriving at the router: the header is checked (RFC 1812 section 5.2.2); broadcasts and multicast are taken but
 * not forwarded; a unicast packet for another host that came in a link-layer broadcast is not forwarded (section
 * 5.3.4); the rest goes to connection tracking, which decides between local delivery and forwarding.
 */
final class Ipv4Input extends Stage {
    private final Router router;

    Ipv4Input(Router router) {
        this.router = router;
    }

    @Override
    public Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        DropReason bad = Ipv4.check(buf, ip, frame.start() + frame.length() - ip);
        if (bad != null) {
            return frame.drop(bad);
        }
        int dst = Ipv4.dst(buf, ip);
        if (dst == -1 || (dst >>> 28) == 0xE || router.iface(frame.inInterface()).isSubnetBroadcast(dst)) {
            return frame.local(); // broadcast and multicast stop at the router
        }
        if (MacAddr.isGroup(Ethernet.dst(buf, frame.start())) && !router.isLocal(dst)) {
            return frame.drop(DropReason.LINK_BROADCAST_NOT_ROUTED);
        }
        int end = ip + Ipv4.totalLength(buf, ip);
        if (end < frame.start() + frame.length()) {
            frame.trimTo(end - frame.start()); // unicast to the router: the buffer is this frame's alone
        }
        return frame.traced() ? router.conntrackIn : router.conntrackIn.process(frame);
    }
}
