package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.IpPrefix;

import java.util.ArrayList;
import java.util.List;

/**
 * What is wrong with a topology's filtering rules, each message naming the rule by its number: an endpoint that is
 * neither a namespace, a bridge with a gateway, an uplink (or the namespace behind one) nor an address prefix; a
 * port without TCP or UDP (or a type without ICMP); an action or state that does not exist; two prefixes of two
 * families in one rule.
 */
final class PolicyChecks {
    static final List<String> ACTIONS = List.of("accept", "drop", "reject");
    static final List<String> PROTOCOLS = List.of("tcp", "udp", "icmp", "icmpv6");
    static final List<String> STATES = List.of("new", "invalid");
    static final List<String> REJECT_WITH = List.of("tcp-reset", "port-unreachable", "admin-prohibited");

    private PolicyChecks() {
    }

    static List<String> problems(Topology t) {
        List<String> problems = new ArrayList<>();
        for (BridgeSpec b : t.bridges()) {
            if (b.isolated() && b.gateways().isEmpty() && b.gateways6().isEmpty()) {
                problems.add("bridge " + b.name() + ": isolated: a bridge without a gateway reaches no other already");
            }
            if (b.filterSwitched() && b.gateways().isEmpty() && b.gateways6().isEmpty()) {
                problems.add("bridge " + b.name() + ": filter-switched: needs a gateway (the policy is its router's;"
                        + " a reject is answered by it)");
            }
        }
        PolicySpec p = t.policy();
        if (!ACTIONS.contains(p.defaultAction())) {
            problems.add("policy: default: '" + p.defaultAction() + "' is not one of " + ACTIONS);
        }
        for (int i = 0; i < p.rules().size(); i++) {
            PolicySpec.Rule r = p.rules().get(i);
            String where = "policy rule " + (i + 1);
            IpPrefix from = endpoint(t, r.from(), where + ": from", problems);
            IpPrefix to = endpoint(t, r.to(), where + ": to", problems);
            if (from != null && to != null && from.getClass() != to.getClass()) {
                problems.add(where + ": from " + from + " and to " + to + " are of two families");
            } else if ((families(t, r.from()) & families(t, r.to()) & 3) == 0) {
                problems.add(where + ": from " + r.from() + " and to " + r.to() + " have no address family in common");
            }
            if (!ACTIONS.contains(r.action())) {
                problems.add(where + ": action: '" + r.action() + "' is not one of " + ACTIONS);
            }
            if (r.protocol() != null && !PROTOCOLS.contains(r.protocol())) {
                problems.add(where + ": protocol: '" + r.protocol() + "' is not one of " + PROTOCOLS);
            }
            if ((r.portLow() != 0 || r.portHigh() != 65535) && r.protocol() == null) {
                problems.add(where + ": port: a port (or ICMP type) needs a protocol, as in nft");
            }
            if (r.rejectWith() != null) {
                if (!r.action().equals("reject")) {
                    problems.add(where + ": reject-with: only a reject answers (action is '" + r.action() + "')");
                } else if (!REJECT_WITH.contains(r.rejectWith())) {
                    problems.add(where + ": reject-with: '" + r.rejectWith() + "' is not one of " + REJECT_WITH);
                } else if (r.rejectWith().equals("tcp-reset") && !"tcp".equals(r.protocol())) {
                    problems.add(where + ": reject-with: tcp-reset needs protocol: tcp (only TCP is answered with"
                            + " a reset, as in nft)");
                }
            }
            for (String s : r.states()) {
                if (!STATES.contains(s)) {
                    problems.add(where + ": state: '" + s + "' is not one of " + STATES + " (a connection's later "
                            + "packets are decided by the connection: established and related never reach the rules)");
                }
            }
        }
        return problems;
    }

    /**
     * The prefix an endpoint names, or null for a name (checked to exist) or any; a problem when it is neither a name
     * known here nor a prefix.
     */
    private static IpPrefix endpoint(Topology t, String text, String where, List<String> problems) {
        if (text == null) {
            return null;
        }
        for (NamespaceSpec n : t.namespaces()) {
            if (n.name().equals(text) && t.bridges().stream().noneMatch(b -> b.name().equals(n.bridge())
                    && !(b.gateways().isEmpty() && b.gateways6().isEmpty()))) {
                problems.add(where + ": namespace " + text + " is on bridge " + n.bridge() + ", which has no gateway: "
                        + "nothing of it is routed, and the rules see only routed connections");
                return null;
            }
        }
        if (isName(t, text)) {
            return null;
        }
        try {
            return prefix(text);
        } catch (IllegalArgumentException e) {
            problems.add(where + ": '" + text + "' is not a namespace, a bridge with a gateway, an uplink or an "
                    + "address prefix");
            return null;
        }
    }

    /**
     * The families an endpoint is of, as bits (1: IPv4, 2: IPv6): a namespace has its addresses' families, a prefix
     * its own, a bridge, an uplink or nothing both.
     */
    private static int families(Topology t, String name) {
        if (name == null) {
            return 3;
        }
        for (NamespaceSpec n : t.namespaces()) {
            if (n.name().equals(name)) {
                return 1 | (n.addresses6().isEmpty() ? 0 : 2);
            }
        }
        if (isName(t, name)) {
            return 3;
        }
        try {
            return prefix(name) instanceof dev.vnet.dataplane.wire.Ipv6Cidr ? 2 : 1;
        } catch (IllegalArgumentException e) {
            return 3; // reported as not an endpoint already
        }
    }

    /** An address prefix, a bare address standing for itself alone (/32, /128), as nft takes one. */
    static IpPrefix prefix(String text) {
        return IpPrefix.parse(text.contains("/") ? text : text + (text.contains(":") ? "/128" : "/32"));
    }

    static boolean isName(Topology t, String name) {
        return t.namespaces().stream().anyMatch(n -> n.name().equals(name))
                || t.bridges().stream().anyMatch(b -> b.name().equals(name)
                && !(b.gateways().isEmpty() && b.gateways6().isEmpty()))
                || t.uplinks().stream().anyMatch(u -> u.name().equals(name) || name.equals(u.namespace()));
    }
}
