package dev.vnet.control.lab;

import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.topology.BridgeSpec;
import dev.vnet.control.topology.MasqueradeSpec;
import dev.vnet.control.topology.NamespaceSpec;
import dev.vnet.control.topology.PortForwardSpec;
import dev.vnet.control.topology.RouteSpec;
import dev.vnet.control.topology.Topology;
import dev.vnet.control.topology.UplinkSpec;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Cidr;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What {@code vnet up} would do, without doing it: the dataplane it would build and, in order, the iproute2 commands it
 * would run. The commands come from the same {@link IpRoute2} methods {@link Lab} calls, recorded instead of run; the
 * TAP names stand as {@code <tap0>}, {@code <tap1>}... (the real ones are chosen at start). Needs no privileges and
 * changes nothing.
 */
public final class DryRun {
    private DryRun() {
    }

    /** An {@link IpRoute2} that records command lines instead of running them. */
    private static final class Recorder extends IpRoute2 {
        final List<String> lines;

        Recorder(List<String> lines) {
            this.lines = lines;
        }

        @Override
        public String run(String... args) {
            lines.add("ip " + String.join(" ", args));
            return "";
        }

        @Override
        protected String runInStartingMounts(String... args) {
            return run(args); // recorded, never run
        }
    }

    /** The plan for {@code topology}, one step per line. */
    public static List<String> plan(Topology topology) throws java.io.IOException {
        List<String> out = new ArrayList<>();
        Recorder ip = new Recorder(out);
        out.add("# dataplane");
        var limits = topology.limits();
        out.add("router: at most " + limits.maxConnections() + " connections, " + limits.maxNeighbors()
                + " neighbors, " + limits.maxRoutes() + " routes; connection timeouts (s) "
                + limits.timeouts().seconds());
        java.util.Set<String> vteps = new java.util.HashSet<>();
        for (BridgeSpec b : topology.bridges()) {
            out.add("bridge " + b.name() + ": fdb bound " + b.options().fdbMaxEntries() + ", MAC aging "
                    + TimeUnit.NANOSECONDS.toSeconds(b.options().agingNanos()) + " s");
            for (Ipv4Cidr g : b.gateways()) {
                out.add("router: gateway " + g + " on " + b.name());
            }
            for (var g : b.gateways6()) {
                out.add("router: gateway " + g + " on " + b.name() + " (IPv6: neighbour discovery and ping; not routed)");
            }
            if (b.vxlan() != null) {
                var v = b.vxlan();
                out.add("bridge " + b.name() + ": " + v.describe(v.underlayMtu()));
                if (vteps.add(v.local() + ":" + v.port())) {
                    out.add("vnet: VTEP on udp " + v.local() + ":" + v.port() + " (a socket per event loop, and "
                            + "send sockets on ephemeral ports)");
                }
            }
        }
        int tap = 0;
        for (BridgeSpec b : topology.bridges()) {
            if (b.hasHostPort()) {
                String t = "<tap" + tap++ + ">";
                out.add("# host port of " + b.name());
                out.add("vnet: open TAP " + t + " as port host:" + b.name() + " on bridge " + b.name());
                ip.renameInterface(t, b.hostInterface());
                ip.configureRootInterface(b.hostInterface(), b.hostAddress().toString(), 1500);
                for (var a : b.hostAddresses6()) {
                    ip.addRootAddress6(b.hostInterface(), a.toString());
                }
            }
        }
        for (NamespaceSpec n : topology.namespaces()) {
            String t = "<tap" + tap++ + ">";
            out.add("# namespace " + n.name());
            ip.addNamespace(n.name());
            out.add("vnet: open TAP " + t + " as port " + n.name() + " on bridge " + n.bridge()
                    + (n.offloads() ? "" : ", offloads off"));
            ip.moveInterface(t, n.name(), n.interfaceName());
            ip.configureInterface(n.name(), n.interfaceName(), n.address().toString(), n.mtu());
            for (var a : n.addresses6()) {
                ip.addAddress6(n.name(), n.interfaceName(), a.toString());
            }
            if (n.defaultGateway() != 0) {
                ip.addDefaultRoute(n.name(), Ipv4Addr.toString(n.defaultGateway()));
            }
            if (n.defaultGateway6() != null) {
                ip.addDefaultRoute6(n.name(), n.defaultGateway6().toString());
            }
        }
        for (UplinkSpec u : topology.uplinks()) {
            String t = "<tap" + tap++ + ">";
            out.add("# uplink " + u.name() + (u.inRootNamespace() ? " (root namespace)" : " to namespace "
                    + u.namespace()));
            if (!u.inRootNamespace()) {
                ip.addNamespace(u.namespace());
            }
            out.add("vnet: open TAP " + t + " as routed port " + u.name() + ", router address " + u.routerAddress()
                    + u.routerAddresses6().stream().map(a -> ", " + a).collect(java.util.stream.Collectors.joining())
                    + (u.offloads() ? "" : ", offloads off"));
            if (u.inRootNamespace()) {
                ip.renameInterface(t, u.interfaceName());
                ip.configureRootInterface(u.interfaceName(), u.hostAddress().toString(), u.mtu());
                for (var a : u.hostAddresses6()) {
                    ip.addRootAddress6(u.interfaceName(), a.toString());
                }
            } else {
                ip.moveInterface(t, u.namespace(), u.interfaceName());
                ip.configureInterface(u.namespace(), u.interfaceName(), u.hostAddress().toString(), u.mtu());
                for (var a : u.hostAddresses6()) {
                    ip.addAddress6(u.namespace(), u.interfaceName(), a.toString());
                }
            }
        }
        if (!topology.routes().isEmpty() || !topology.masquerades().isEmpty() || !topology.forwards().isEmpty()) {
            out.add("# router rules");
        }
        for (RouteSpec r : topology.routes()) {
            out.add("route " + r.destination() + " via " + r.gateway());
        }
        for (MasqueradeSpec m : topology.masquerades()) {
            out.add("masquerade " + m.source() + " out of " + m.out());
        }
        for (PortForwardSpec f : topology.forwards()) {
            for (var target : f.targets()) {
                out.add("forward " + f.protocol() + " " + f.on() + ":" + f.portLow()
                        + (f.portHigh() != f.portLow() ? "-" + f.portHigh() : "") + " -> "
                        + (target instanceof dev.vnet.dataplane.wire.Ipv6Address ? "[" + target + "]" : target) + ":"
                        + f.targetPort());
            }
        }
        for (var c : topology.captures()) {
            out.add("capture " + (c.ports().isEmpty() ? "" : String.join(",", c.ports()) + " " + c.direction())
                    + (c.drops() ? (c.ports().isEmpty() ? "" : " + ") + "drops" : "")
                    + (c.filter().isBlank() ? "" : " '" + c.filter() + "'") + " to " + c.file()
                    + (c.rotateBytes() > 0 ? ", rotating at " + c.rotateBytes() + " bytes, keeping " + c.keep() : ""));
        }
        return out;
    }
}
