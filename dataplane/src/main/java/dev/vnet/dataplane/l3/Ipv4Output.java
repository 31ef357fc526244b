package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ipv4;

/** Routes a packet the router itself sends (echo replies, ICMP errors, fragments): no TTL change, no ICMP on failure. */
final class Ipv4Output extends Stage {
    private final RouterTables tables;
    private final NatOut natOut;
    private final MtuCheck tooBig;

    Ipv4Output(RouterTables tables, NatOut natOut, MtuCheck tooBig) {
        this.tables = tables;
        this.natOut = natOut;
        this.tooBig = tooBig;
    }

    @Override
    protected Stage process(Frame frame) {
        int dst = Ipv4.dst(frame.buf(), frame.l3Offset());
        RouteTable routes = tables.routes();
        int route = routes.lookup(dst);
        if (route == RouteTable.NO_ROUTE) {
            return frame.drop(DropReason.NO_ROUTE);
        }
        frame.setRoute(routes.interfaceOf(route), routes.nextHop(route, dst));
        return MtuCheck.fits(tables, frame) ? natOut.run(frame) : tooBig;
    }
}
