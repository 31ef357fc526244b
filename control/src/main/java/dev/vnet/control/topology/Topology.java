package dev.vnet.control.topology;

import dev.vnet.dataplane.port.TapOptions;
import dev.vnet.dataplane.port.TunDevice;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What vnet builds: bridges and the namespaces attached to them. {@link #validate} runs before anything is created
 * and reports every problem at once, each naming the element and field at fault.
 *
 * @param name       a label for messages ("seed lab" or the file name)
 * @param bridges    the bridges
 * @param namespaces the namespaces, each attached to one bridge
 */
public record Topology(String name, List<BridgeSpec> bridges, List<NamespaceSpec> namespaces) {
    // iproute2 keeps netns names as files under /run/netns: no '/', no leading dot, and vnet keeps them short and plain.
    private static final Pattern NETNS_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}");

    /** Copies the lists. */
    public Topology {
        bridges = List.copyOf(bridges);
        namespaces = List.copyOf(namespaces);
    }

    /** The same topology with every namespace name prefixed (to run beside another copy, or in tests). */
    public Topology withPrefix(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return this;
        }
        return new Topology(name, bridges, namespaces.stream().map(n -> n.withPrefix(prefix)).toList());
    }

    /** Every problem with this topology, or an empty list. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        Set<String> bridgeNames = new HashSet<>();
        for (BridgeSpec b : bridges) {
            if (b.name() == null || b.name().isBlank()) {
                problems.add("bridge: name is empty");
            } else if (!bridgeNames.add(b.name())) {
                problems.add("bridge " + b.name() + ": name is used twice");
            }
        }
        Set<String> nsNames = new HashSet<>();
        List<NamespaceSpec> seen = new ArrayList<>();
        java.util.Map<String, NamespaceSpec> firstOnBridge = new java.util.HashMap<>();
        for (NamespaceSpec n : namespaces) {
            String where = "namespace " + n.name();
            if (n.name() == null || !NETNS_NAME.matcher(n.name()).matches()) {
                problems.add(where + ": name must be 1-64 letters, digits, '_', '.', '-' and not start with '.' or '-'");
            } else if (!nsNames.add(n.name())) {
                problems.add(where + ": name is used twice");
            }
            if (!bridgeNames.contains(n.bridge())) {
                problems.add(where + ": bridge '" + n.bridge() + "' is not defined");
            }
            try {
                TunDevice.validateName(n.interfaceName());
            } catch (IllegalArgumentException e) {
                problems.add(where + ": interface: " + e.getMessage());
            }
            if (n.mtu() < TapOptions.MIN_MTU || n.mtu() > TapOptions.MAX_MTU) {
                problems.add(where + ": mtu " + n.mtu() + " is outside " + TapOptions.MIN_MTU + ".." + TapOptions.MAX_MTU);
            }
            InterfaceAddress a = n.address();
            if (a.prefixLength() > 30 || a.prefixLength() < 1) {
                problems.add(where + ": address " + a + " leaves no room for other hosts (use a prefix of /1 to /30)");
            } else {
                int host = a.address() & ~dev.vnet.dataplane.wire.Ipv4Addr.mask(a.prefixLength());
                int broadcast = ~dev.vnet.dataplane.wire.Ipv4Addr.mask(a.prefixLength());
                if (host == 0 || host == broadcast) {
                    problems.add(where + ": address " + a + " is the subnet's network or broadcast address");
                }
            }
            seen.stream().filter(o -> o.address().address() == a.address()).findFirst().ifPresent(o ->
                    problems.add(where + ": address " + a + " is already used by namespace " + o.name()));
            // The first namespace on a bridge sets the bridge's subnet; every other one must be in it.
            NamespaceSpec first = firstOnBridge.putIfAbsent(n.bridge(), n);
            if (first != null && !first.address().sameSubnet(a)) {
                problems.add(where + ": address " + a + " is not in the subnet of " + first.name() + " ("
                        + first.address() + ") on the same bridge " + n.bridge());
            }
            seen.add(n);
        }
        return problems;
    }

    /** Throws with every problem listed when the topology is not valid. */
    public void validate() {
        List<String> problems = problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(name + " is not valid:\n  " + String.join("\n  ", problems));
        }
    }
}
