package dev.vnet.control.lab;

import dev.vnet.control.topology.MasqueradeSpec;
import dev.vnet.control.topology.PortForwardSpec;
import dev.vnet.control.topology.RouteSpec;
import dev.vnet.control.topology.Topology;
import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;

/** The router's configuration from a topology (static routes, MASQUERADE, port forwards), for a live or offline run. */
public final class RouterSetup {
    private RouterSetup() {
    }

    /** Gives {@code dataplane} the topology's routes and NAT; its interfaces must exist already. */
    public static void apply(Topology topology, Dataplane dataplane) {
        for (RouteSpec r : topology.routes()) {
            if (r.destination() instanceof Ipv6Cidr to) {
                dataplane.addRoute6(to, (Ipv6Address) r.gateway());
            } else {
                dataplane.addRoute((Ipv4Cidr) r.destination(), ((Ipv4Address) r.gateway()).value());
            }
        }
        for (MasqueradeSpec m : topology.masquerades()) {
            dataplane.addMasquerade(m.source(), m.out());
        }
        for (PortForwardSpec f : topology.forwards()) {
            dataplane.addPortForward(f.protocol(), f.on(), f.portLow(), f.portHigh(), f.target(),
                    f.targetPort());
        }
    }
}
