package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Options;
import io.netty.buffer.ByteBuf;

/**
 * Forwarding decision (RFC 1812 section 5.2.4, 5.3.1): a packet whose TTL would reach zero is answered with ICMP time
 * exceeded; one with no route with ICMP net unreachable; otherwise TTL is decremented (header checksum updated
 * incrementally) and the route's interface and next hop are recorded; record route and timestamp options get the
 * egress interface's address ({@link IpOptionStamps}); a packet that leaves by the interface it came in on also
 * gets its sender an ICMP redirect ({@link Router#sendRedirect}). The packets of a tracked connection look the
 * route up through the connection's hint ({@link RouteTable#lookup(int, int)}).
 */
final class Ipv4Forward extends Stage {
    private final Router router;

    Ipv4Forward(Router router) {
        this.router = router;
    }

    @Override
    public Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        if (Ipv4.ttl(buf, ip) <= 1) {
            router.sendIcmpError(frame, Icmp4.TYPE_TIME_EXCEEDED, 0, 0);
            return frame.drop(DropReason.TTL_EXCEEDED);
        }
        int dst = Ipv4.dst(buf, ip);
        RouteTable routes = router.routes();
        // An established connection's packets take the route its last packet took, unless the table changed since.
        int route = routes.lookup(dst, frame.connection());
        if (route == RouteTable.NO_ROUTE) {
            router.sendIcmpError(frame, Icmp4.TYPE_DEST_UNREACHABLE, 0, 0);
            return frame.drop(DropReason.NO_ROUTE);
        }
        Ipv4.decrementTtl(buf, ip);
        frame.setRoute(routes.interfaceOf(route), routes.nextHop(route, dst));
        if (Ipv4Options.present(buf, ip)) {
            stampOptions(router, frame);
        }
        if (!MtuCheck.fits(router, frame)) {
            return router.mtuCheck;
        }
        if (frame.outInterface() == frame.inInterface()) {
            router.sendRedirect(frame); // back out where it came from: the sender had a better first hop
        }
        return frame.traced() ? router.natOut : router.natOut.process(frame);
    }

    /**
     * Record route and timestamp options of a packet about to be forwarded get the address of the interface it
     * leaves by (on the next hop's subnet), as the kernel's ip_forward_options writes them (the kernel does so after
     * its MTU check, so its fragmentation-needed quotes the header without this router's entry; here it has it).
     */
    private static void stampOptions(Router router, Frame frame) {
        int address = Router.sourceFor(router.iface(frame.outInterface()), frame.nextHop());
        IpOptionStamps.stamp(frame.buf(), frame.l3Offset(), address, router.optionTimestamp(), router);
    }

    @Override
    public String explain(Frame frame) {
        if (frame.verdict() == dev.vnet.dataplane.pipeline.Verdict.DROP) {
            return null; // the drop reason says it
        }
        RouteTable routes = router.routes();
        int route = routes.lookup(Ipv4.dst(frame.buf(), frame.l3Offset()));
        if (route == RouteTable.NO_ROUTE) {
            return null;
        }
        int gw = routes.gatewayOf(route);
        return "route " + dev.vnet.dataplane.wire.Ipv4Addr.toString(routes.networkOf(route)) + "/"
                + routes.lengthOf(route) + (gw == 0 ? "" : " via " + dev.vnet.dataplane.wire.Ipv4Addr.toString(gw))
                + " dev " + router.iface(routes.interfaceOf(route)).name() + ", next hop "
                + dev.vnet.dataplane.wire.Ipv4Addr.toString(frame.nextHop()) + ", ttl now "
                + Ipv4.ttl(frame.buf(), frame.l3Offset())
                + (Ipv4Options.present(frame.buf(), frame.l3Offset()) ? ", IP options stamped" : "")
                + (frame.outInterface() == frame.inInterface()
                        ? "; back out where it came in: the sender may be told (ICMP redirect)" : "");
    }
}
