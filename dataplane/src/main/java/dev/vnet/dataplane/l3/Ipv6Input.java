package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.Ndp;
import io.netty.buffer.ByteBuf;

/**
 * IPv6 at a router interface: the header checked, martian sources and destinations dropped as the kernel's
 * ip6_rcv_core drops them, the extension chain walked (each refusal dropped under its reason; one in a packet to the
 * router answered with a parameter problem pointing at it). Unicast, to the router or through it, goes on to
 * connection tracking ({@link Conntrack6In}), which sends it on to {@link Local6Delivery} or {@link Ipv6Forward};
 * neighbour discovery and multicast to a group the router listens to go straight to {@link Local6Delivery};
 * multicast for other groups is taken and ignored (the router routes no multicast). Unicast for another host is not
 * forwarded when it is to a link-local address or came in a link-layer multicast.
 */
final class Ipv6Input extends Stage {

    private final RouterTables tables;
    private final Conntrack6In conntrack;
    private final Local6Delivery local;

    /**
     * The stage: unicast (to the router or through it) goes on to {@code conntrack}; what only concerns the router
     * (neighbour discovery, multicast it listens to) to {@code local}.
     */
    Ipv6Input(RouterTables tables, Conntrack6In conntrack, Local6Delivery local) {
        this.tables = tables;
        this.conntrack = conntrack;
        this.local = local;
    }

    @Override
    protected Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        DropReason bad = Ipv6.check(buf, ip, frame.start() + frame.length() - ip);
        if (bad != null) {
            return frame.drop(bad);
        }
        RouterInterface iface = tables.iface(frame.inInterface());
        long dstHi = Ipv6.dstHi(buf, ip);
        long dstLo = Ipv6.dstLo(buf, ip);
        long srcHi = Ipv6.srcHi(buf, ip);
        if (Ipv6.isMulticast(srcHi) || Ipv6.isLoopback(srcHi, Ipv6.srcLo(buf, ip))) {
            return frame.drop(DropReason.IPV6_MARTIAN_SOURCE);
        }
        if (Ipv6.isUnspecified(dstHi, dstLo) || Ipv6.isLoopback(dstHi, dstLo)
                || Ipv6.isMulticast(dstHi) && ((dstHi >>> 48) & 0xF) <= 1) { // scope 0 or interface-local
            return frame.drop(DropReason.IPV6_MARTIAN_DESTINATION);
        }
        boolean toUs = tables.isLocal6(dstHi, dstLo);
        long walk = Ipv6.walk(buf, ip);
        if (!toUs && !iface.listensTo6(dstHi, dstLo)) {
            return notForUs(frame, buf, ip, walk, dstHi);
        }
        if (Ipv6.refused(walk)) {
            DropReason why = Ipv6.reason(walk);
            if (toUs && (why == DropReason.IPV6_ROUTING_TYPE_0 || why == DropReason.IPV6_BAD_EXTENSION)) {
                // RFC 8200 4.1 and 4.4: code 1 points at a hop-by-hop next header out of place, code 0 at a field.
                int pointer = Ipv6.problemPointer(walk);
                int code = why == DropReason.IPV6_BAD_EXTENSION
                        && buf.getUnsignedByte(ip + pointer) == Ipv6.NH_HOP_BY_HOP ? 1 : 0;
                local.error(frame, iface, ip, walk, Icmp6.TYPE_PARAMETER_PROBLEM, code, pointer);
            }
            return frame.drop(why);
        }
        frame.setWalk(walk);
        if (toUs && !isNeighbourDiscovery(buf, ip, walk)) {
            return conntrack.run(frame); // unicast to the router: a reply to be translated back, a port forward
        }
        return local.run(frame);
    }

    /** True for a neighbour discovery message (never tracked: it is about the link, not a connection). */
    private static boolean isNeighbourDiscovery(ByteBuf buf, int ip, long walk) {
        int icmp = ip + Ipv6.upperOffset(walk);
        return Ipv6.upperProtocol(walk) == Ipv6.NH_ICMPV6 && !Ipv6.isFragment(walk)
                && icmp < ip + Ipv6.HEADER_LEN + Ipv6.payloadLength(buf, ip) && Ndp.isNdp(Icmp6.type(buf, icmp));
    }

    /**
     * An IPv6 packet for neither the router nor a group it listens to: a multicast one is taken and ignored (the
     * router routes no multicast, as the kernel without a multicast routing daemon); a unicast one is forwarded,
     * unless its extension chain is refused, it is to a link-local address, or it came in a link-layer multicast
     * (the kernel's ip6_forward drops what was not sent to its MAC).
     */
    private Stage notForUs(Frame frame, ByteBuf buf, int ip, long walk, long dstHi) {
        if (Ipv6.isMulticast(dstHi)) {
            return frame.local();
        }
        if (Ipv6.refused(walk)) {
            return frame.drop(Ipv6.reason(walk));
        }
        if (Ipv6.isLinkLocal(dstHi)) {
            return frame.drop(DropReason.IPV6_LINK_LOCAL_NOT_ROUTED);
        }
        if (MacAddr.isGroup(Ethernet.dst(buf, frame.start()))) {
            return frame.drop(DropReason.LINK_BROADCAST_NOT_ROUTED);
        }
        int end = ip + Ipv6.HEADER_LEN + Ipv6.payloadLength(buf, ip);
        if (end < frame.start() + frame.length()) {
            frame.trimTo(end - frame.start()); // Ethernet padding: unicast, the buffer is this frame's alone
        }
        frame.setWalk(walk);
        return conntrack.run(frame);
    }





}
