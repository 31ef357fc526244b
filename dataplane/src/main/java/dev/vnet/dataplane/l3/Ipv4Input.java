package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Options;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;

/**
 * IPv4 arriving at the router: the header is checked (RFC 1812 section 5.2.2), its options by the kernel's rules (a
 * malformed one answered with ICMP parameter problem, a source route dropped as the kernel does unless
 * accept_source_route is on); broadcasts and multicast are taken but
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
        if (Ipv4Options.present(buf, ip)) {
            DropReason refused = checkOptions(frame, buf, ip);
            if (refused != null) {
                return frame.drop(refused);
            }
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

    /**
     * Options, checked by the kernel's rules (out of line: rare, and {@link #process} stays small enough to be
     * inlined): null when the packet goes on; a malformed option is answered with parameter problem pointing at
     * its bad byte; a source route is refused silently, as by the kernel's default.
     */
    private DropReason checkOptions(Frame frame, ByteBuf buf, int ip) {
        int options = Ipv4Options.check(buf, ip);
        if (options == Ipv4Options.SOUND) {
            return null;
        }
        if (options == Ipv4Options.SOURCE_ROUTED) {
            return DropReason.IPV4_SOURCE_ROUTED;
        }
        router.sendIcmpError(frame, Icmp4.TYPE_PARAMETER_PROBLEM, 0, options << 24);
        return DropReason.IPV4_BAD_OPTIONS;
    }
}
