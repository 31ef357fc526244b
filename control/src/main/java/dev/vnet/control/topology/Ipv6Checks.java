package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What is wrong with a topology's IPv6 addresses (bridge gateways and namespace addresses), each message naming the
 * element and field: an address no interface may be given (unspecified, loopback, multicast, link-local, which the
 * kernel and the router make themselves), a prefix length outside 1..128, an address used twice, a namespace's
 * address outside every IPv6 prefix of its bridge's gateway, and DNS servers to advertise that are not unicast or on
 * a bridge without an IPv6 gateway.
 */
final class Ipv6Checks {
    private Ipv6Checks() {
    }

    static List<String> problems(List<BridgeSpec> bridges, List<NamespaceSpec> namespaces) {
        List<String> problems = new ArrayList<>();
        Map<Ipv6Address, String> owners = new HashMap<>();
        Map<String, List<Ipv6Cidr>> prefixes = new HashMap<>();
        for (BridgeSpec b : bridges) {
            if (!b.rdnss().isEmpty() && b.gateways6().isEmpty()) {
                problems.add("bridge " + b.name() + ": rdnss: the router advertises DNS servers only where it has an "
                        + "IPv6 gateway address; give the bridge one");
            }
            for (Ipv6Address d : b.rdnss()) {
                if (Ipv6.isUnspecified(d.hi(), d.lo()) || Ipv6.isLoopback(d.hi(), d.lo()) || Ipv6.isMulticast(d.hi())) {
                    problems.add("bridge " + b.name() + ": rdnss: " + d + " is not a unicast address");
                }
            }
            for (Ipv6Cidr g : b.gateways6()) {
                String where = "bridge " + b.name() + ": gateway";
                if (usable(where, g, problems)) {
                    claim(owners, g, "bridge " + b.name() + " gateway", where, problems);
                    prefixes.computeIfAbsent(b.name(), k -> new ArrayList<>()).add(g);
                }
            }
        }
        for (NamespaceSpec n : namespaces) {
            for (Ipv6Cidr a : n.addresses6()) {
                String where = "namespace " + n.name() + ": address";
                if (!usable(where, a, problems)) {
                    continue;
                }
                claim(owners, a, "namespace " + n.name(), where, problems);
                List<Ipv6Cidr> onBridge = prefixes.getOrDefault(n.bridge(), List.of());
                if (!onBridge.isEmpty() && onBridge.stream().noneMatch(p -> p.prefixLength() == a.prefixLength()
                        && p.contains(a.address().hi(), a.address().lo()))) {
                    problems.add(where + " " + a + " is not in a prefix of bridge " + n.bridge() + "'s gateway "
                            + onBridge);
                }
            }
        }
        return problems;
    }

    /** False (and a problem) for an address no interface may be given. */
    private static boolean usable(String where, Ipv6Cidr a, List<String> problems) {
        long hi = a.address().hi();
        long lo = a.address().lo();
        String why = Ipv6.isUnspecified(hi, lo) || Ipv6.isLoopback(hi, lo) ? "the unspecified or loopback address"
                : Ipv6.isMulticast(hi) ? "a multicast address"
                : Ipv6.isLinkLocal(hi) ? "a link-local address (every interface has its own already)"
                : a.prefixLength() == 0 ? "prefix length 0" : null;
        if (why != null) {
            problems.add(where + " " + a + " is " + why);
            return false;
        }
        return true;
    }

    private static void claim(Map<Ipv6Address, String> owners, Ipv6Cidr a, String owner, String where,
                              List<String> problems) {
        String previous = owners.putIfAbsent(a.address(), owner);
        if (previous != null) {
            problems.add(where + " " + a + " is already used by " + previous);
        }
    }
}
