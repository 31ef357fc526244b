package dev.vnet.control.topology;

import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.port.TapOptions;
import dev.vnet.dataplane.wire.Ipv4Addr;

import java.util.List;

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

    /** The seed lab topology. */
    public static Topology topology() {
        int gw = Ipv4Addr.parse(GATEWAY);
        return new Topology("seed lab",
                List.of(new BridgeSpec(BRIDGE, BridgeOptions.defaults(),
                        List.of(InterfaceAddress.parse(GATEWAY + "/24")))),
                List.of(
                        new NamespaceSpec("red", BRIDGE, INTERFACE, InterfaceAddress.parse("192.168.15.1/24"),
                                TapOptions.DEFAULT_MTU, gw),
                        new NamespaceSpec("blue", BRIDGE, INTERFACE, InterfaceAddress.parse("192.168.15.2/24"),
                                TapOptions.DEFAULT_MTU, gw)),
                List.of(new UplinkSpec("uplink", "lan", INTERFACE, InterfaceAddress.parse("192.168.1.3/24"),
                        InterfaceAddress.parse("192.168.1.2/24"), TapOptions.DEFAULT_MTU)),
                List.of(),
                List.of(new MasqueradeSpec(InterfaceAddress.parse("192.168.15.0/24"), "uplink")),
                List.of(new PortForwardSpec("tcp", "uplink", 80, 80, Ipv4Addr.parse("192.168.15.2"), 80)));
    }
}
