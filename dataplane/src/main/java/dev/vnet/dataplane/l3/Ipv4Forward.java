package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Options;
import io.netty.buffer.ByteBuf;

/**
 * Forwarding decision (RFC 1812 section 5.2.4, 5.3.1): a packet whose TTL would reach zero is answered with ICMP time
 * exceeded; one with no route with ICMP net unreachable; otherwise TTL is decremented (header checksum updated
 * incrementally) and the route's interface and next hop are recorded; record route and timestamp options get the
 * egress interface's address ({@link IpOptionStamps}); a packet that leaves by the interface it came in on also
 * gets its sender an ICMP redirect ({@link IcmpOutput#redirect}). A packet that fits the egress MTU goes on to
 * source NAT, one that does not to {@link MtuCheck}. The packets of a tracked connection look the route up through
 * the connection's hint ({@link RouteTable#lookup(int, int)}).
 */
final class Ipv4Forward extends Stage {
    private final RouterTables tables;
    private final IcmpOutput icmp;
    private final IcmpError ttlExceeded;
    private final IcmpError noRoute;
    private final MtuCheck tooBig;
    private final NatOut next;

    Ipv4Forward(RouterTables tables, IcmpOutput icmp, IcmpError ttlExceeded, IcmpError noRoute, MtuCheck tooBig,
                NatOut next) {
        this.tables = tables;
        this.icmp = icmp;
        this.ttlExceeded = ttlExceeded;
        this.noRoute = noRoute;
        this.tooBig = tooBig;
        this.next = next;
    }

    @Override
    protected Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        if (Ipv4.ttl(buf, ip) <= 1) {
            return ttlExceeded;
        }
        int dst = Ipv4.dst(buf, ip);
        RouteTable routes = tables.routes();
        // An established connection's packets take the route its last packet took, unless the table changed since.
        int route = routes.lookup(dst, frame.connection());
        if (route == RouteTable.NO_ROUTE) {
            return noRoute;
        }
        Ipv4.decrementTtl(buf, ip);
        frame.setRoute(routes.interfaceOf(route), routes.nextHop(route, dst));
        if (Ipv4Options.present(buf, ip)) {
            stampOptions(frame);
        }
        if (frame.traced()) {
            frame.note(describe(frame, route));
        }
        if (!MtuCheck.fits(tables, frame)) {
            return tooBig;
        }
        if (frame.outInterface() == frame.inInterface()) {
            boolean told = icmp.redirect(frame); // back out where it came from: the sender had a better first hop
            if (frame.traced()) {
                frame.note("back out where it came in: " + (told ? "the sender was told (ICMP redirect)"
                        : "no redirect (not for this sender or packet, or over the rate limit)"));
            }
        }
        return next.run(frame);
    }

    /**
     * Record route and timestamp options of a packet about to be forwarded get the address of the interface it
     * leaves by (on the next hop's subnet), as the kernel's ip_forward_options writes them (the kernel does so after
     * its MTU check, so its fragmentation-needed quotes the header without this router's entry; here it has it).
     */
    private void stampOptions(Frame frame) {
        int address = RouterTables.sourceFor(tables.iface(frame.outInterface()), frame.nextHop());
        IpOptionStamps.stamp(frame.buf(), frame.l3Offset(), address, tables.optionTimestamp(), tables);
    }

    /** For a decision trace: the route this packet took, as {@code ip route get} shows one. */
    private String describe(Frame frame, int route) {
        RouteTable routes = tables.routes();
        int gw = routes.gatewayOf(route);
        return "route " + Ipv4Addr.toString(routes.networkOf(route)) + "/" + routes.lengthOf(route)
                + (gw == 0 ? "" : " via " + Ipv4Addr.toString(gw)) + " dev " + tables.iface(frame.outInterface()).name()
                + ", next hop " + Ipv4Addr.toString(frame.nextHop()) + ", ttl now "
                + Ipv4.ttl(frame.buf(), frame.l3Offset())
                + (Ipv4Options.present(frame.buf(), frame.l3Offset()) ? ", IP options stamped" : "");
    }
}
