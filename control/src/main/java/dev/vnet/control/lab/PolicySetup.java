package dev.vnet.control.lab;

import dev.vnet.control.topology.NamespaceSpec;
import dev.vnet.control.topology.PolicySpec;
import dev.vnet.control.topology.Topology;
import dev.vnet.control.topology.UplinkSpec;
import dev.vnet.dataplane.api.PolicyRule;
import dev.vnet.dataplane.filter.FilterRule;
import dev.vnet.dataplane.wire.IpPrefix;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Cidr;

import java.util.ArrayList;
import java.util.List;

/**
 * The topology's filtering rules as the dataplane takes them: each endpoint resolved to a router interface and an
 * address prefix, a namespace to its bridge and its own addresses (one entry per family it has), a bridge or an
 * uplink (or the namespace behind one) to its interface alone, an address prefix to itself.
 */
final class PolicySetup {
    private PolicySetup() {
    }

    /** Where a rule's endpoint is: an interface (or null: any) and a prefix (or null: any). */
    private record End(String iface, IpPrefix prefix) {
    }

    /**
     * The dataplane's entries: the topology's rules in order, then the isolation of the bridges marked isolated (a
     * drop each way between such a bridge and every other bridge with a gateway), then the default. As in Docker, whose
     * DOCKER-USER chain comes before its isolation chain, a rule may open what isolation closes.
     */
    static List<PolicyRule> rules(Topology t) {
        List<PolicyRule> out = new ArrayList<>();
        List<PolicySpec.Rule> rules = t.policy().rules();
        for (int i = 0; i < rules.size(); i++) {
            PolicySpec.Rule r = rules.get(i);
            for (End from : ends(t, r.from())) {
                for (End to : ends(t, r.to())) {
                    if (from.prefix() != null && to.prefix() != null
                            && from.prefix().getClass() != to.prefix().getClass()) {
                        continue; // a namespace's IPv4 address to another's IPv6 one: no packet is both
                    }
                    out.add(new PolicyRule(i, r.describe(), from.iface(), to.iface(), from.prefix(), to.prefix(),
                            protocol(r.protocol()), r.portLow(), r.portHigh(), states(r.states()),
                            r.forwarded() == null ? FilterRule.ANY : r.forwarded() ? 1 : 0,
                            action(r.action(), r.rejectWith()),
                            r.log()));
                }
            }
        }
        List<String> routed = t.bridges().stream().filter(b -> !(b.gateways().isEmpty() && b.gateways6().isEmpty()))
                .map(b -> b.name()).toList();
        java.util.Set<List<String>> pairs = new java.util.LinkedHashSet<>();
        for (var b : t.bridges()) {
            if (b.isolated() && routed.contains(b.name())) {
                for (String other : routed) {
                    if (!other.equals(b.name())) {
                        pairs.add(List.of(b.name(), other));
                        pairs.add(List.of(other, b.name()));
                    }
                }
            }
        }
        int index = rules.size();
        for (List<String> pair : pairs) {
            out.add(new PolicyRule(index++, "isolation: from " + pair.get(0) + " to " + pair.get(1) + " drop",
                    pair.get(0), pair.get(1), null, null, FilterRule.ANY, 0, 65535, 0, FilterRule.ANY,
                    FilterRule.Action.DROP, false));
        }
        return out;
    }

    static FilterRule.Action action(String text) {
        return FilterRule.Action.valueOf(text.toUpperCase(java.util.Locale.ROOT));
    }

    /** A rule's action, a reject's answer chosen by {@code rejectWith} (null: the default answer). */
    static FilterRule.Action action(String text, String rejectWith) {
        if (rejectWith == null) {
            return action(text);
        }
        return switch (rejectWith) {
            case "port-unreachable" -> FilterRule.Action.REJECT_PORT_UNREACHABLE;
            case "admin-prohibited" -> FilterRule.Action.REJECT_ADMIN_PROHIBITED;
            default -> FilterRule.Action.REJECT; // tcp-reset: the default answer, to TCP (PolicyChecks)
        };
    }

    private static List<End> ends(Topology t, String name) {
        if (name == null) {
            return List.of(new End(null, null));
        }
        for (NamespaceSpec n : t.namespaces()) {
            if (n.name().equals(name)) {
                List<End> ends = new ArrayList<>();
                ends.add(new End(n.bridge(), new Ipv4Cidr(n.address().address(), 32)));
                n.addresses6().forEach(a -> ends.add(new End(n.bridge(), new Ipv6Cidr(a.address(), 128))));
                return ends;
            }
        }
        for (UplinkSpec u : t.uplinks()) {
            if (u.name().equals(name) || name.equals(u.namespace())) {
                return List.of(new End(u.name(), null));
            }
        }
        if (t.bridges().stream().anyMatch(b -> b.name().equals(name))) {
            return List.of(new End(name, null));
        }
        String text = name.contains("/") ? name : name + (name.contains(":") ? "/128" : "/32");
        return List.of(new End(null, IpPrefix.parse(text)));
    }

    private static int protocol(String p) {
        if (p == null) {
            return FilterRule.ANY;
        }
        return switch (p) {
            case "tcp" -> 6;
            case "udp" -> 17;
            case "icmp" -> 1;
            default -> 58;
        };
    }

    private static int states(List<String> states) {
        int mask = 0;
        for (String s : states) {
            mask |= s.equals("new") ? FilterRule.NEW : FilterRule.INVALID;
        }
        return mask;
    }
}
