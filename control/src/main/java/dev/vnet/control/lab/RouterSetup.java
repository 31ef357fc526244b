package dev.vnet.control.lab;

import dev.vnet.control.topology.MasqueradeSpec;
import dev.vnet.control.topology.PortForwardSpec;
import dev.vnet.control.topology.RouteSpec;
import dev.vnet.control.topology.Topology;
import dev.vnet.dataplane.api.Dataplane;

/** The router's configuration from a topology (static routes, MASQUERADE, port forwards), for a live or offline run. */
public final class RouterSetup {
    private RouterSetup() {
    }

    /** Gives {@code dataplane} the topology's routes and NAT; its interfaces must exist already. */
    public static void apply(Topology topology, Dataplane dataplane) {
        for (RouteSpec r : topology.routes()) {
            dataplane.addRoute(r.destination(), r.gateway());
        }
        for (MasqueradeSpec m : topology.masquerades()) {
            dataplane.addMasquerade(m.source(), m.out());
        }
        if (!topology.policy().rules().isEmpty() || !topology.policy().defaultAction().equals("accept")
                || topology.bridges().stream().anyMatch(b -> b.isolated())) {
            dataplane.setPolicy(PolicySetup.rules(topology), PolicySetup.action(topology.policy().defaultAction()));
        }
        for (var b : topology.bridges()) {
            if (b.filterSwitched()) {
                dataplane.filterSwitched(b.name(), true);
            }
        }
        for (PortForwardSpec f : topology.forwards()) {
            for (var target : f.targets()) {
                dataplane.addPortForward(f.protocol(), f.on(), f.portLow(), f.portHigh(), target, f.targetPort());
            }
        }
    }
}
