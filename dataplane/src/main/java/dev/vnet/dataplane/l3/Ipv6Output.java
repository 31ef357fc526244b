package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv6;

/**
 * Routes an IPv6 packet the router itself sends (an ICMPv6 error about a forwarded packet): it enters here untagged,
 * its header after Ethernet's, and leaves by the route to its destination through neighbour resolution; no hop limit
 * change, no ICMPv6 about it on failure (RFC 4443 2.4(e)). Messages to a link-local address (neighbour discovery,
 * answers to what was sent to the router) name their interface and do not come here.
 */
final class Ipv6Output extends Stage {
    private final RouterTables tables;
    private final Neighbor6Output next;

    Ipv6Output(RouterTables tables, Neighbor6Output next) {
        this.tables = tables;
        this.next = next;
    }

    @Override
    protected Stage process(Frame frame) {
        int ip = frame.start() + Ethernet.HEADER_LEN;
        frame.setL3Offset(ip);
        long dstHi = Ipv6.dstHi(frame.buf(), ip);
        long dstLo = Ipv6.dstLo(frame.buf(), ip);
        Route6Table routes = tables.routes6();
        int route = routes.lookup(dstHi, dstLo);
        if (route == Route6Table.NO_ROUTE) {
            return frame.drop(DropReason.NO_ROUTE);
        }
        frame.setRoute6(routes.interfaceOf(route), routes.nextHopHi(route, dstHi, dstLo),
                routes.nextHopLo(route, dstHi, dstLo));
        return next.run(frame);
    }
}
