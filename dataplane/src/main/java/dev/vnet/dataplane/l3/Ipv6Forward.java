package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.Tcp;
import io.netty.buffer.ByteBuf;

/**
 * The IPv6 forwarding decision, in the order of the kernel's ip6_forward: a packet whose hop limit would reach zero is
 * answered with ICMPv6 time exceeded (RFC 8200 section 3); one with no route with destination unreachable, no route
 * (RFC 4443 3.1 code 0); one with a link-local source that would leave its link with destination unreachable, beyond
 * scope of source address (code 2; RFC 4291 2.5.6 forbids forwarding it), one from :: that would leave it dropped; one bigger than the egress MTU with Packet
 * Too Big carrying that MTU (RFC 8200 section 5: routers never fragment; RFC 8201 path-MTU discovery depends on it).
 * Otherwise the hop limit is decremented and the route's interface and next hop recorded, and the packet goes on to
 * source NAT ({@link NatOut6}) and neighbour resolution.
 * A TCP super-frame fits when each of its segments does.
 *
 * <p>Not done, as a router may leave it: ICMPv6 redirects (RFC 4861 section 8), which the kernel sends to a host
 * whose packet goes back out on its own link; here such a packet is forwarded all the same.
 */
final class Ipv6Forward extends Stage {
    private final RouterTables tables;
    private final IcmpError hopLimitExceeded;
    private final IcmpError noRoute;
    private final IcmpError beyondScope;
    private final IcmpError tooBig;
    private final NatOut6 next;

    Ipv6Forward(RouterTables tables, IcmpError hopLimitExceeded, IcmpError noRoute, IcmpError beyondScope,
                IcmpError tooBig, NatOut6 next) {
        this.tables = tables;
        this.hopLimitExceeded = hopLimitExceeded;
        this.noRoute = noRoute;
        this.beyondScope = beyondScope;
        this.tooBig = tooBig;
        this.next = next;
    }

    @Override
    protected Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        if (Ipv6.hopLimit(buf, ip) <= 1) {
            return hopLimitExceeded;
        }
        long dstHi = Ipv6.dstHi(buf, ip);
        long dstLo = Ipv6.dstLo(buf, ip);
        Route6Table routes = tables.routes6();
        int route = routes.lookup(dstHi, dstLo);
        if (route == Route6Table.NO_ROUTE) {
            return noRoute;
        }
        int out = routes.interfaceOf(route);
        if (out != frame.inInterface()) { // leaving its link: the source must be able to leave it too
            long srcHi = Ipv6.srcHi(buf, ip);
            if (Ipv6.isUnspecified(srcHi, Ipv6.srcLo(buf, ip))) {
                return frame.drop(DropReason.IPV6_MARTIAN_SOURCE);
            }
            if (Ipv6.isLinkLocal(srcHi)) {
                return beyondScope;
            }
        }
        frame.setRoute6(out, routes.nextHopHi(route, dstHi, dstLo), routes.nextHopLo(route, dstHi, dstLo));
        int mtu = tables.iface(out).mtu();
        if (length(buf, ip, frame.offload()) > mtu) {
            frame.setErrorDetail(mtu);
            return tooBig;
        }
        Ipv6.decrementHopLimit(buf, ip);
        if (frame.traced()) {
            frame.note(describe(frame, route));
        }
        return next.run(frame);
    }

    /** The packet's length on the wire; for a TCP super-frame, one segment's: headers plus at most the MSS. */
    private static int length(ByteBuf buf, int ip, long offload) {
        int total = Ipv6.HEADER_LEN + Ipv6.payloadLength(buf, ip);
        if (!Offload.isGso(offload)) {
            return total;
        }
        long walk = Ipv6.walk(buf, ip);
        if (Ipv6.refused(walk) || Ipv6.upperProtocol(walk) != Ipv6.NH_TCP) {
            return total;
        }
        int tcp = ip + Ipv6.upperOffset(walk);
        int headers = tcp - ip + (buf.getUnsignedByte(tcp + Tcp.DATA_OFFSET) >>> 4) * 4;
        return Math.min(total, headers + Offload.gsoSize(offload));
    }

    /** For a decision trace: the route this packet took, as {@code ip -6 route get} shows one. */
    private String describe(Frame frame, int route) {
        Route6Table routes = tables.routes6();
        Ipv6Address hop = new Ipv6Address(frame.nextHopHi(), frame.nextHopLo());
        return "route " + routes.prefixOf(route) + (routes.isConnected(route) ? "" : " via " + hop) + " dev "
                + tables.iface(frame.outInterface()).name() + ", next hop " + hop + ", hop limit now "
                + Ipv6.hopLimit(frame.buf(), frame.l3Offset());
    }
}
