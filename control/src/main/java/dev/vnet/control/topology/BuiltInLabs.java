package dev.vnet.control.topology;

import java.util.List;

/**
 * The topologies shipped in the jar, by name: {@code seed} (the seeds' IPv4 lab, {@link SeedLab}) and
 * {@code dual-stack} (the same network with IPv6 beside IPv4: fd00:15::/64 on v-net-0, fd00:1::/64 on the uplink,
 * NAT66, and the uplink's tcp/80 forwarded to blue over both families). {@code vnet lab --print NAME} prints one and
 * {@code vnet up --lab NAME} runs one.
 */
public final class BuiltInLabs {
    /** The names, the default first. */
    public static final List<String> NAMES = List.of("seed", "dual-stack");

    private BuiltInLabs() {
    }

    /** The topology file of lab {@code name}, as shipped; the message lists the names when there is none. */
    public static String text(String name) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("no built-in lab '" + name + "' (there are: "
                    + String.join(", ", NAMES) + ")");
        }
        try (var in = BuiltInLabs.class.getResourceAsStream(name + "-lab.yaml")) {
            if (in == null) {
                throw new IllegalStateException(name + "-lab.yaml is missing from the jar");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read " + name + "-lab.yaml from the jar: " + e.getMessage(), e);
        }
    }

    /** The topology of lab {@code name}, named as the lab ("seed lab", "dual-stack lab"). */
    public static Topology topology(String name) {
        String label = name + " lab";
        try {
            Topology t = TopologyFile.parse(label, text(name));
            return new Topology(label, t.bridges(), t.namespaces(), t.uplinks(), t.routes(), t.masquerades(),
                    t.forwards(), t.limits());
        } catch (TopologyException e) {
            throw new IllegalStateException("the built-in " + label + " is not valid: " + e.getMessage(), e);
        }
    }
}
