package dev.vnet.control.topology;

/**
 * The built-in topology {@code vnet up} runs without a file, the seeds' network:
 * <pre>
 *   red  192.168.15.1 ─┐                          ┌─ lan: 192.168.1.3 ("another")
 *                      ├─ v-net-0 (vnet bridge) ──┤
 *   blue 192.168.15.2 ─┘   gateway 192.168.15.5   └─ uplink 192.168.1.2
 * </pre>
 * red and blue route by default via 192.168.15.5; connections from 192.168.15.0/24 leaving by the uplink are
 * masqueraded as 192.168.1.2, and the uplink's tcp/80 is forwarded to blue's port 80 (the seeds' MASQUERADE and DNAT
 * rules). {@code lan} needs no route back.
 */
public final class SeedLab {
    /** The seed lab's bridge. */
    public static final String BRIDGE = "v-net-0";
    /** Interface name inside each namespace. */
    public static final String INTERFACE = "eth0";
    /** The gateway address on the bridge. */
    public static final String GATEWAY = "192.168.15.5";

    private SeedLab() {
    }

    /** The seed lab's topology file, as shipped in the jar ({@code vnet lab --print} shows it). */
    public static String text() {
        return BuiltInLabs.text("seed");
    }

    /** The seed lab topology, read from its file. */
    public static Topology topology() {
        return BuiltInLabs.topology("seed");
    }
}
