package dev.vnet.control.topology;

import dev.vnet.dataplane.l3.RouterLimits;
import dev.vnet.dataplane.port.TapOptions;
import dev.vnet.dataplane.port.TunDevice;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Cidr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What vnet builds: bridges (with the router's gateway addresses on them), the namespaces attached to them, uplinks
 * to other networks, and static routes. {@link #problems} runs before anything is created and reports every problem
 * at once, each naming the element and field at fault.
 *
 * @param name       a label for messages ("seed lab" or the file name)
 * @param bridges    the bridges
 * @param namespaces the namespaces, each attached to one bridge
 * @param uplinks    routed links to other networks
 * @param routes     static routes of the router
 * @param masquerades MASQUERADE rules
 * @param forwards   port forwards (DNAT)
 * @param limits     the router's table bounds and connection timeouts
 * @param captures   captures written to files for as long as the topology runs
 * @param policy     the router's filter for routed connections
 */
public record Topology(String name, List<BridgeSpec> bridges, List<NamespaceSpec> namespaces, List<UplinkSpec> uplinks,
                       List<RouteSpec> routes, List<MasqueradeSpec> masquerades, List<PortForwardSpec> forwards,
                       RouterLimits limits, List<CaptureSpec> captures, PolicySpec policy) {
    // iproute2 keeps netns names as files under /run/netns: no '/', no leading dot, and vnet keeps them short and plain.
    private static final Pattern NETNS_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}");

    /** Copies the lists. */
    public Topology {
        bridges = List.copyOf(bridges);
        namespaces = List.copyOf(namespaces);
        uplinks = List.copyOf(uplinks);
        routes = List.copyOf(routes);
        masquerades = List.copyOf(masquerades);
        forwards = List.copyOf(forwards);
        java.util.Objects.requireNonNull(limits, "limits");
        captures = List.copyOf(captures);
        java.util.Objects.requireNonNull(policy, "policy");
    }

    /** A topology without filtering rules. */
    public Topology(String name, List<BridgeSpec> bridges, List<NamespaceSpec> namespaces, List<UplinkSpec> uplinks,
                    List<RouteSpec> routes, List<MasqueradeSpec> masquerades, List<PortForwardSpec> forwards,
                    RouterLimits limits, List<CaptureSpec> captures) {
        this(name, bridges, namespaces, uplinks, routes, masquerades, forwards, limits, captures, PolicySpec.NONE);
    }

    /** A topology without captures. */
    public Topology(String name, List<BridgeSpec> bridges, List<NamespaceSpec> namespaces, List<UplinkSpec> uplinks,
                    List<RouteSpec> routes, List<MasqueradeSpec> masquerades, List<PortForwardSpec> forwards,
                    RouterLimits limits) {
        this(name, bridges, namespaces, uplinks, routes, masquerades, forwards, limits, List.of());
    }

    /** A topology with the default table bounds and timeouts. */
    public Topology(String name, List<BridgeSpec> bridges, List<NamespaceSpec> namespaces, List<UplinkSpec> uplinks,
                    List<RouteSpec> routes, List<MasqueradeSpec> masquerades, List<PortForwardSpec> forwards) {
        this(name, bridges, namespaces, uplinks, routes, masquerades, forwards, RouterLimits.defaults());
    }

    /** A topology without NAT. */
    public Topology(String name, List<BridgeSpec> bridges, List<NamespaceSpec> namespaces, List<UplinkSpec> uplinks,
                    List<RouteSpec> routes) {
        this(name, bridges, namespaces, uplinks, routes, List.of(), List.of());
    }

    /** A layer-2 only topology: bridges and namespaces. */
    public Topology(String name, List<BridgeSpec> bridges, List<NamespaceSpec> namespaces) {
        this(name, bridges, namespaces, List.of(), List.of(), List.of(), List.of());
    }

    /** The same topology with every namespace name prefixed (to run beside another copy, or in tests). */
    public Topology withPrefix(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return this;
        }
        Set<String> names = new HashSet<>();
        namespaces.forEach(n -> names.add(n.name()));
        Set<String> named = new HashSet<>(names); // a rule may name the namespace behind an uplink too
        uplinks.stream().filter(u -> !u.inRootNamespace()).forEach(u -> named.add(u.namespace()));
        return new Topology(name, bridges, namespaces.stream().map(n -> n.withPrefix(prefix)).toList(),
                uplinks.stream().map(u -> u.withPrefix(prefix)).toList(), routes, masquerades, forwards, limits,
                captures.stream().map(c -> c.withPrefix(prefix, names)).toList(), policy.withPrefix(prefix, named));
    }

    /** The same topology with other table bounds and timeouts. */
    public Topology withLimits(RouterLimits newLimits) {
        return new Topology(name, bridges, namespaces, uplinks, routes, masquerades, forwards, newLimits, captures,
                policy);
    }

    /** The same topology with offloads on or off on every namespace's and uplink's TAP. */
    public Topology withOffloads(boolean on) {
        return new Topology(name, bridges, namespaces.stream().map(n -> n.withOffloads(on)).toList(),
                uplinks.stream().map(u -> u.withOffloads(on)).toList(), routes, masquerades, forwards, limits,
                captures, policy);
    }

    /** The same topology with other captures. */
    public Topology withCaptures(List<CaptureSpec> newCaptures) {
        return new Topology(name, bridges, namespaces, uplinks, routes, masquerades, forwards, limits, newCaptures,
                policy);
    }

    /** The same topology with other namespaces attached. */
    public Topology withNamespaces(List<NamespaceSpec> newNamespaces) {
        return new Topology(name, bridges, newNamespaces, uplinks, routes, masquerades, forwards, limits, captures,
                policy);
    }

    /** The same topology with another filtering policy (what {@code vnet policy add|del} changes). */
    public Topology withPolicy(PolicySpec newPolicy) {
        return new Topology(name, bridges, namespaces, uplinks, routes, masquerades, forwards, limits, captures,
                newPolicy);
    }

    /** The same topology with other static routes and port forwards (what changes at runtime). */
    public Topology withRoutesAndForwards(List<RouteSpec> newRoutes, List<PortForwardSpec> newForwards) {
        return new Topology(name, bridges, namespaces, uplinks, newRoutes, masquerades, newForwards, limits, captures,
                policy);
    }

    /** Every namespace vnet creates, attached ones and uplinks' far sides, in creation order. */
    public List<String> namespaceNames() {
        List<String> names = new ArrayList<>();
        namespaces.forEach(n -> names.add(n.name()));
        uplinks.stream().filter(u -> !u.inRootNamespace()).forEach(u -> names.add(u.namespace()));
        return names;
    }

    /** Every problem with this topology, or an empty list. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        Set<String> bridgeNames = new HashSet<>();
        Map<String, Ipv4Cidr> subnetOfBridge = new java.util.LinkedHashMap<>();
        Map<Integer, String> addressOwner = new HashMap<>();
        for (BridgeSpec b : bridges) {
            if (b.name() == null || b.name().isBlank()) {
                problems.add("bridge: name is empty");
                continue;
            }
            if (!bridgeNames.add(b.name())) {
                problems.add("bridge " + b.name() + ": name is used twice");
            }
            if (b.hasHostPort()) {
                try {
                    TunDevice.validateName(b.hostInterface());
                } catch (IllegalArgumentException e) {
                    problems.add("bridge " + b.name() + ": host-port: " + e.getMessage());
                }
                if (b.hostAddress() == null) {
                    problems.add("bridge " + b.name() + ": host-address: missing (the host port needs an address)");
                } else {
                    checkHostAddress("bridge " + b.name() + ": host-address", b.hostAddress(), problems);
                    claim(addressOwner, b.hostAddress(), "bridge " + b.name() + " host port",
                            "bridge " + b.name() + ": host-address", problems);
                    Ipv4Cidr first = subnetOfBridge.putIfAbsent(b.name(), b.hostAddress());
                    if (first != null && !first.sameSubnet(b.hostAddress())) {
                        problems.add("bridge " + b.name() + ": host-address " + b.hostAddress()
                                + " is not in the bridge's subnet");
                    }
                }
            }
            for (Ipv4Cidr g : b.gateways()) {
                checkHostAddress("bridge " + b.name() + ": gateway", g, problems);
                claim(addressOwner, g, "bridge " + b.name() + " gateway", "bridge " + b.name() + ": gateway", problems);
                Ipv4Cidr first = subnetOfBridge.putIfAbsent(b.name(), g);
                if (first != null && !first.sameSubnet(g)) {
                    problems.add("bridge " + b.name() + ": gateway " + g + " is not in the subnet of gateway " + first);
                }
            }
        }
        problems.addAll(VxlanSpec.problems(bridges, namespaces));
        problems.addAll(Ipv6Checks.problems(bridges, namespaces, uplinks, routes));
        problems.addAll(PolicyChecks.problems(this));
        Set<String> nsNames = new HashSet<>();
        for (NamespaceSpec n : namespaces) {
            String where = "namespace " + n.name();
            checkNamespaceName(where, n.name(), nsNames, problems);
            if (!bridgeNames.contains(n.bridge())) {
                problems.add(where + ": bridge '" + n.bridge() + "' is not defined");
            }
            checkInterface(where, n.interfaceName(), n.mtu(), problems);
            Ipv4Cidr a = n.address();
            checkHostAddress(where + ": address", a, problems);
            claim(addressOwner, a, "namespace " + n.name(), where + ": address", problems);
            // The first address on a bridge (gateway or namespace) sets the bridge's subnet; the rest must be in it.
            Ipv4Cidr first = subnetOfBridge.putIfAbsent(n.bridge(), a);
            if (first != null && !first.sameSubnet(a)) {
                problems.add(where + ": address " + a + " is not in the subnet " + Ipv4Addr.toString(first.network())
                        + "/" + first.prefixLength() + " of bridge " + n.bridge());
            }
            if (n.defaultGateway() != 0 && !Ipv4Addr.contains(a.address(), a.prefixLength(), n.defaultGateway())) {
                problems.add(where + ": default gateway " + Ipv4Addr.toString(n.defaultGateway())
                        + " is not in its subnet " + Ipv4Addr.toString(a.network()) + "/" + a.prefixLength());
            }
        }
        List<Map.Entry<String, Ipv4Cidr>> bridgeSubnets = subnetOfBridge.entrySet().stream()
                .filter(e -> bridgeNames.contains(e.getKey())).toList(); // an undefined bridge is reported already
        for (int i = 0; i < bridgeSubnets.size(); i++) {
            for (int j = i + 1; j < bridgeSubnets.size(); j++) {
                Ipv4Cidr a = bridgeSubnets.get(i).getValue();
                Ipv4Cidr b = bridgeSubnets.get(j).getValue();
                if (overlaps(a, b)) {
                    problems.add("bridge " + bridgeSubnets.get(j).getKey() + ": subnet "
                            + Ipv4Addr.toString(b.network()) + "/" + b.prefixLength() + " overlaps bridge "
                            + bridgeSubnets.get(i).getKey() + "'s " + Ipv4Addr.toString(a.network()) + "/"
                            + a.prefixLength());
                }
            }
        }
        List<Ipv4Cidr> connected = new ArrayList<>(subnetOfBridge.values());
        Set<String> uplinkNames = new HashSet<>();
        for (UplinkSpec u : uplinks) {
            String where = "uplink " + u.name();
            if (!uplinkNames.add(u.name()) || nsNames.contains(u.name())) {
                problems.add(where + ": name is used twice");
            }
            if (!u.inRootNamespace()) {
                checkNamespaceName(where + ": namespace", u.namespace(), nsNames, problems);
            }
            checkInterface(where, u.interfaceName(), u.mtu(), problems);
            checkHostAddress(where + ": host address", u.hostAddress(), problems);
            checkHostAddress(where + ": router address", u.routerAddress(), problems);
            claim(addressOwner, u.hostAddress(), where + " host", where + ": host address", problems);
            claim(addressOwner, u.routerAddress(), where + " router side", where + ": router address", problems);
            if (!u.hostAddress().sameSubnet(u.routerAddress())) {
                problems.add(where + ": host address " + u.hostAddress() + " and router address " + u.routerAddress()
                        + " are not in one subnet");
            }
            for (Ipv4Cidr c : connected) {
                if (overlaps(c, u.routerAddress())) {
                    problems.add(where + ": subnet of " + u.routerAddress() + " overlaps " + c);
                }
            }
            connected.add(u.routerAddress());
        }
        for (RouteSpec r : routes) {
            if (r.isIpv6()) {
                continue; // Ipv6Checks
            }
            Ipv4Cidr d = (Ipv4Cidr) r.destination();
            String where = "route " + d;
            if (d.address() != d.network()) {
                problems.add(where + ": has host bits set (did you mean " + Ipv4Addr.toString(d.network()) + "/"
                        + d.prefixLength() + "?)");
            }
            int gw = ((dev.vnet.dataplane.wire.Ipv4Address) r.gateway()).value();
            if (connected.stream().noneMatch(c -> Ipv4Addr.contains(c.address(), c.prefixLength(), gw))) {
                problems.add(where + ": gateway " + r.gateway()
                        + " is not on any subnet the router is connected to");
            }
        }
        Set<String> routerInterfaces = new HashSet<>();
        bridges.stream().filter(b -> !b.gateways().isEmpty()).forEach(b -> routerInterfaces.add(b.name()));
        uplinks.forEach(u -> routerInterfaces.add(u.name()));
        Set<String> ipv6Interfaces = new HashSet<>();
        bridges.stream().filter(b -> !b.gateways6().isEmpty()).forEach(b -> ipv6Interfaces.add(b.name()));
        uplinks.stream().filter(u -> !u.routerAddresses6().isEmpty()).forEach(u -> ipv6Interfaces.add(u.name()));
        for (MasqueradeSpec m : masquerades) {
            if (!routerInterfaces.contains(m.out())) {
                problems.add("masquerade " + m.source() + ": out '" + m.out()
                        + "' is not an uplink or a bridge with a gateway");
            } else if (m.source() instanceof dev.vnet.dataplane.wire.Ipv6Cidr && !ipv6Interfaces.contains(m.out())) {
                problems.add("masquerade " + m.source() + ": out '" + m.out() + "' has no IPv6 address to "
                        + "masquerade behind");
            }
        }
        for (PortForwardSpec f : forwards) {
            String where = "forward " + f.protocol() + " " + f.on() + ":" + f.portLow()
                    + (f.portHigh() != f.portLow() ? "-" + f.portHigh() : "");
            if (!routerInterfaces.contains(f.on())) {
                problems.add(where + ": '" + f.on() + "' is not an uplink or a bridge with a gateway");
            }
            if (f.portLow() < 1 || f.portHigh() > 65535 || f.portLow() > f.portHigh()) {
                problems.add(where + ": ports must be a range within 1-65535");
            } else if (f.targetPort() < 1 || f.targetPort() + (f.portHigh() - f.portLow()) > 65535) {
                problems.add(where + ": target ports must stay within 1-65535");
            }
            boolean targetKnown = f.target() == 0
                    || namespaces.stream().anyMatch(n -> n.address().address() == f.target());
            if (!targetKnown) {
                problems.add(where + ": target " + Ipv4Addr.toString(f.target())
                        + " is not the address of any namespace (a forward to nowhere)");
            }
            if (f.target6() != null) {
                if (namespaces.stream().noneMatch(n -> n.addresses6().stream()
                        .anyMatch(a -> a.address().equals(f.target6())))) {
                    problems.add(where + ": target " + f.target6()
                            + " is not the address of any namespace (a forward to nowhere)");
                }
                if (routerInterfaces.contains(f.on()) && !ipv6Interfaces.contains(f.on())) {
                    problems.add(where + ": '" + f.on() + "' has no IPv6 address to listen on for " + f.target6());
                }
            }
        }
        checkCaptures(problems);
        return problems;
    }

    /** The names of the ports the dataplane will have, in the order it makes them. */
    public List<String> portNames() {
        List<String> names = new ArrayList<>();
        bridges.stream().filter(b -> !b.gateways().isEmpty()).forEach(b -> names.add("gw:" + b.name()));
        bridges.stream().filter(BridgeSpec::hasHostPort).forEach(b -> names.add("host:" + b.name()));
        namespaces.forEach(n -> names.add(n.name()));
        uplinks.forEach(u -> names.add(u.name()));
        return names;
    }

    private void checkCaptures(List<String> problems) {
        List<String> ports = portNames();
        Set<java.nio.file.Path> files = new HashSet<>();
        for (CaptureSpec c : captures) {
            String where = c.label();
            if (!files.add(c.file().toAbsolutePath().normalize())) {
                problems.add(where + ": file: written by another capture too");
            }
            if (c.ports().isEmpty() && !c.drops()) {
                problems.add(where + ": ports: name at least one port (or all), or set drops");
            }
            for (String p : c.ports()) {
                if (!p.equals("all") && !ports.contains(p)) {
                    problems.add(where + ": ports: no port '" + p + "' (ports: " + String.join(", ", ports) + ", all)");
                }
            }
            if (!CaptureSpec.DIRECTIONS.contains(c.direction())) {
                problems.add(where + ": direction must be in, out or both, not '" + c.direction() + "'");
            }
            if (c.drops() && !c.file().getFileName().toString().endsWith(".pcapng")) {
                problems.add(where + ": drops: the reasons are pcapng packet comments; name the file *.pcapng");
            }
            if (c.keep() < 1) {
                problems.add(where + ": keep must be at least 1");
            }
            if (c.rotateBytes() < 0) {
                problems.add(where + ": rotate must not be negative");
            }
        }
    }

    private static void checkNamespaceName(String where, String name, Set<String> seen, List<String> problems) {
        if (name == null || !NETNS_NAME.matcher(name).matches()) {
            problems.add(where + ": name must be 1-64 letters, digits, '_', '.', '-' and not start with '.' or '-'");
        } else if (!seen.add(name)) {
            problems.add(where + ": name is used twice");
        }
    }

    private static void checkInterface(String where, String interfaceName, int mtu, List<String> problems) {
        try {
            TunDevice.validateName(interfaceName);
        } catch (IllegalArgumentException e) {
            problems.add(where + ": interface: " + e.getMessage());
        }
        if (mtu < TapOptions.MIN_MTU || mtu > TapOptions.MAX_MTU) {
            problems.add(where + ": mtu " + mtu + " is outside " + TapOptions.MIN_MTU + ".." + TapOptions.MAX_MTU);
        }
    }

    private static void checkHostAddress(String where, Ipv4Cidr a, List<String> problems) {
        if (a.prefixLength() > 30 || a.prefixLength() < 1) {
            problems.add(where + " " + a + " leaves no room for other hosts (use a prefix of /1 to /30)");
            return;
        }
        int host = a.address() & ~Ipv4Addr.mask(a.prefixLength());
        if (host == 0 || host == ~Ipv4Addr.mask(a.prefixLength())) {
            problems.add(where + " " + a + " is the subnet's network or broadcast address");
        }
    }

    private static void claim(Map<Integer, String> owners, Ipv4Cidr a, String owner, String where,
                              List<String> problems) {
        String previous = owners.putIfAbsent(a.address(), owner);
        if (previous != null) {
            problems.add(where + " " + a + " is already used by " + previous);
        }
    }

    private static boolean overlaps(Ipv4Cidr a, Ipv4Cidr b) {
        int length = Math.min(a.prefixLength(), b.prefixLength());
        return Ipv4Addr.contains(a.network(), length, b.network());
    }

    /** Throws with every problem listed when the topology is not valid. */
    public void validate() {
        List<String> problems = problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(name + " is not valid:\n  " + String.join("\n  ", problems));
        }
    }
}
