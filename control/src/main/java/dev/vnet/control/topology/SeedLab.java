package dev.vnet.control.topology;

import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.port.TapOptions;

import java.util.List;

/**
 * The built-in topology {@code vnet up} runs without a file: the seeds' {@code red} (192.168.15.1/24) and {@code blue}
 * (192.168.15.2/24) on bridge {@code v-net-0}. The gateway, the uplink to {@code lan} and NAT come with later releases.
 */
public final class SeedLab {
    /** The seed lab's bridge. */
    public static final String BRIDGE = "v-net-0";
    /** Interface name inside each namespace. */
    public static final String INTERFACE = "eth0";

    private SeedLab() {
    }

    /** The seed lab topology. */
    public static Topology topology() {
        return new Topology("seed lab",
                List.of(new BridgeSpec(BRIDGE, BridgeOptions.defaults())),
                List.of(
                        new NamespaceSpec("red", BRIDGE, INTERFACE, InterfaceAddress.parse("192.168.15.1/24"),
                                TapOptions.DEFAULT_MTU),
                        new NamespaceSpec("blue", BRIDGE, INTERFACE, InterfaceAddress.parse("192.168.15.2/24"),
                                TapOptions.DEFAULT_MTU)));
    }
}
