package dev.vnet.control.lab;

import dev.vnet.control.topology.PortForwardSpec;
import dev.vnet.dataplane.api.ForwardEntry;
import dev.vnet.dataplane.api.ForwardProtocol;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.Ipv6Address;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The port forwards as running, written back as the topology file writes them: the dataplane runs one rule per
 * protocol and family, and a forward of both protocols, or to a namespace over both families, is one entry again.
 */
final class RunningForwards {
    private RunningForwards() {
    }

    /** The forwards the dataplane's {@code rules} make, named as in {@code configured} where they came from there. */
    static List<PortForwardSpec> of(List<ForwardEntry> rules, List<PortForwardSpec> configured) {
        List<PortForwardSpec> out = new ArrayList<>();
        for (ForwardEntry f : rules) {
            PortForwardSpec spec = f.target() instanceof Ipv6Address six
                    ? new PortForwardSpec(f.protocol(), f.on(), f.portLow(), f.portHigh(), 0, f.targetPort(), six, null)
                    : new PortForwardSpec(f.protocol(), f.on(), f.portLow(), f.portHigh(),
                    ((Ipv4Address) f.target()).value(), f.targetPort());
            // "both" runs as a tcp and a udp rule; write it back as one.
            PortForwardSpec tcpTwin = with(spec, ForwardProtocol.TCP, spec.target(), spec.target6());
            if (spec.protocol() == ForwardProtocol.UDP && out.remove(tcpTwin)) {
                spec = with(spec, ForwardProtocol.BOTH, spec.target(), spec.target6());
            }
            out.add(spec);
        }
        // A forward over both families runs as an IPv4 rule and an IPv6 one; write it back as one.
        List<PortForwardSpec> merged = new ArrayList<>();
        for (PortForwardSpec s : out) {
            PortForwardSpec v4 = s.target6() == null ? null : merged.stream().filter(m -> m.target6() == null
                    && sameRule(m, s)).findFirst().orElse(null);
            if (v4 != null) {
                merged.set(merged.indexOf(v4), with(v4, v4.protocol(), v4.target(), s.target6()));
            } else {
                merged.add(s);
            }
        }
        List<PortForwardSpec> named = new ArrayList<>();
        for (PortForwardSpec s : merged) {
            named.add(configured.stream().filter(c -> c.targetName() != null
                    && with(c, c.protocol(), c.target(), c.target6()).equals(s)).findFirst().orElse(s));
        }
        return named;
    }

    private static boolean sameRule(PortForwardSpec a, PortForwardSpec b) {
        return a.protocol() == b.protocol() && Objects.equals(a.on(), b.on()) && a.portLow() == b.portLow()
                && a.portHigh() == b.portHigh() && a.targetPort() == b.targetPort();
    }

    /** {@code s} with another protocol and targets, and no name. */
    private static PortForwardSpec with(PortForwardSpec s, ForwardProtocol protocol, int target, Ipv6Address six) {
        return new PortForwardSpec(protocol, s.on(), s.portLow(), s.portHigh(), target, s.targetPort(), six, null);
    }
}
