package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What is wrong with a topology's IPv6 (bridge gateways, namespace addresses and default routes, uplink addresses,
 * routes), each message naming the element and field: an address no interface may be given (unspecified, loopback,
 * multicast, link-local, which the kernel and the router make themselves), a prefix length outside 1..128, an address
 * used twice, a namespace's address outside every IPv6 prefix of its bridge's gateway, a link whose MTU is below
 * IPv6's 1280, router prefixes that overlap, a default route or an uplink's far side off the link's prefixes, a route
 * with host bits set or a gateway on none of the router's prefixes, and DNS servers to advertise that are not unicast
 * or on a bridge without an IPv6 gateway.
 */
final class Ipv6Checks {
    private Ipv6Checks() {
    }

    static List<String> problems(List<BridgeSpec> bridges, List<NamespaceSpec> namespaces, List<UplinkSpec> uplinks,
                                 List<RouteSpec> routes) {
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
        uplinks(uplinks, owners, prefixes, problems);
        overlaps(prefixes, problems);
        List<Ipv6Cidr> routerPrefixes = new ArrayList<>();
        prefixes.values().forEach(routerPrefixes::addAll);
        for (RouteSpec r : routes) {
            if (r.destination() instanceof Ipv6Cidr d) {
                Ipv6Address gw = (Ipv6Address) r.gateway();
                String where = "route " + d;
                if (!d.address().equals(d.network())) {
                    problems.add(where + ": has host bits set (did you mean " + d.network() + "/" + d.prefixLength()
                            + "?)");
                }
                if (routerPrefixes.stream().noneMatch(p -> p.contains(gw.hi(), gw.lo()))) {
                    problems.add(where + ": gateway " + gw + " is not on any IPv6 prefix the router is connected to");
                }
            }
        }
        for (BridgeSpec b : bridges) {
            for (Ipv6Cidr a : b.hostAddresses6()) {
                String where = "bridge " + b.name() + ": host-address";
                if (usable(where, a, problems)) {
                    claim(owners, a, "bridge " + b.name() + " host port", where, problems);
                    inBridgePrefix(where, a, b.name(), prefixes, problems);
                }
            }
        }
        for (NamespaceSpec n : namespaces) {
            if (!n.addresses6().isEmpty() && n.mtu() < Ipv6.MIN_MTU) {
                problems.add("namespace " + n.name() + ": mtu " + n.mtu() + " is below IPv6's minimum of "
                        + Ipv6.MIN_MTU + " (the kernel turns IPv6 off on such a link)");
            }
            Ipv6Address via = n.defaultGateway6();
            if (via != null && n.addresses6().stream().noneMatch(a -> a.contains(via.hi(), via.lo()))) {
                problems.add("namespace " + n.name() + ": default-route " + via
                        + " is not in a prefix of the namespace's IPv6 addresses " + n.addresses6());
            }
            for (Ipv6Cidr a : n.addresses6()) {
                String where = "namespace " + n.name() + ": address";
                if (!usable(where, a, problems)) {
                    continue;
                }
                claim(owners, a, "namespace " + n.name(), where, problems);
                inBridgePrefix(where, a, n.bridge(), prefixes, problems);
            }
        }
        return problems;
    }

    /** An uplink's IPv6: usable, unique, the far side on the router's prefixes, an MTU that carries IPv6. */
    private static void uplinks(List<UplinkSpec> uplinks, Map<Ipv6Address, String> owners,
                                Map<String, List<Ipv6Cidr>> prefixes, List<String> problems) {
        for (UplinkSpec u : uplinks) {
            String where = "uplink " + u.name();
            if (!u.routerAddresses6().isEmpty() && u.mtu() < Ipv6.MIN_MTU) {
                problems.add(where + ": mtu " + u.mtu() + " is below IPv6's minimum of " + Ipv6.MIN_MTU);
            }
            for (Ipv6Cidr r : u.routerAddresses6()) {
                if (usable(where + ": router-address", r, problems)) {
                    claim(owners, r, where + " router side", where + ": router-address", problems);
                    prefixes.computeIfAbsent(where, k -> new ArrayList<>()).add(r); // keyed 'uplink NAME'
                }
            }
            for (Ipv6Cidr h : u.hostAddresses6()) {
                if (!usable(where + ": address", h, problems)) {
                    continue;
                }
                claim(owners, h, where + " far side", where + ": address", problems);
                if (u.routerAddresses6().stream().noneMatch(r -> r.prefixLength() == h.prefixLength()
                        && r.contains(h.address().hi(), h.address().lo()))) {
                    problems.add(where + ": address " + h + " is not in a prefix of its router-address "
                            + u.routerAddresses6());
                }
            }
        }
    }

    /**
     * Prefixes of two router interfaces that overlap: a destination in both would have two connected routes (one
     * interface may have several addresses in one prefix).
     */
    private static void overlaps(Map<String, List<Ipv6Cidr>> prefixes, List<String> problems) {
        List<String> names = new ArrayList<>(prefixes.keySet());
        for (int i = 0; i < names.size(); i++) {
            for (int j = i + 1; j < names.size(); j++) {
                for (Ipv6Cidr a : prefixes.get(names.get(i))) {
                    for (Ipv6Cidr b : prefixes.get(names.get(j))) {
                        Ipv6Cidr shorter = a.prefixLength() <= b.prefixLength() ? a : b;
                        Ipv6Cidr longer = shorter == a ? b : a;
                        if (shorter.contains(longer.address().hi(), longer.address().lo())) {
                            problems.add(label(names.get(j)) + ": IPv6 prefix of " + b + " overlaps " + a + " of "
                                    + label(names.get(i)));
                        }
                    }
                }
            }
        }
    }

    /** A problem when {@code a} is outside every IPv6 prefix of {@code bridge}'s gateway (when it has one). */
    private static void inBridgePrefix(String where, Ipv6Cidr a, String bridge, Map<String, List<Ipv6Cidr>> prefixes,
                                       List<String> problems) {
        List<Ipv6Cidr> onBridge = prefixes.getOrDefault(bridge, List.of());
        if (!onBridge.isEmpty() && onBridge.stream().noneMatch(p -> p.prefixLength() == a.prefixLength()
                && p.contains(a.address().hi(), a.address().lo()))) {
            problems.add(where + " " + a + " is not in a prefix of bridge " + bridge + "'s gateway " + onBridge);
        }
    }

    /** The element a key of the prefixes map names: a bridge's name, or "uplink NAME". */
    private static String label(String key) {
        return key.startsWith("uplink ") ? key : "bridge " + key;
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
