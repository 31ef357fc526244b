package dev.vnet.control.lab;

import dev.vnet.control.topology.MasqueradeSpec;
import dev.vnet.control.topology.PortForwardSpec;
import dev.vnet.control.topology.RouteSpec;
import dev.vnet.control.topology.Topology;
import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.wire.Ipv4Addr;

/** The router's configuration from a topology (static routes, MASQUERADE, port forwards), for a live or offline run. */
public final class RouterSetup {
    private RouterSetup() {
    }

    /** Gives {@code dataplane} the topology's routes and NAT; its interfaces must exist already. */
    public static void apply(Topology topology, Dataplane dataplane) {
        for (RouteSpec r : topology.routes()) {
            dataplane.addRoute(r.destination().toString(), Ipv4Addr.toString(r.gateway()));
        }
        for (MasqueradeSpec m : topology.masquerades()) {
            dataplane.addMasquerade(m.source().toString(), m.out());
        }
        for (PortForwardSpec f : topology.forwards()) {
            dataplane.addPortForward(f.protocol(), f.on(), f.portLow(), f.portHigh(), Ipv4Addr.toString(f.target()),
                    f.targetPort());
        }
    }
}
