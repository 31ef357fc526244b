package dev.vnet.control.topology;

import dev.vnet.dataplane.api.BridgeOptions;

import java.util.List;

/**
 * A bridge in the topology.
 *
 * @param name     its name (as the seeds' {@code v-net-0})
 * @param options  FDB bound and aging
 * @param gateways the router's addresses on this bridge (none: a plain switch)
 */
public record BridgeSpec(String name, BridgeOptions options, List<InterfaceAddress> gateways) {
    /** Copies the list. */
    public BridgeSpec {
        gateways = List.copyOf(gateways);
    }

    /** A bridge without a gateway. */
    public BridgeSpec(String name, BridgeOptions options) {
        this(name, options, List.of());
    }
}
