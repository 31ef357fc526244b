package dev.vnet.control.topology;

import dev.vnet.dataplane.api.BridgeOptions;

/**
 * A bridge in the topology.
 *
 * @param name    its name (as the seeds' {@code v-net-0})
 * @param options FDB bound and aging
 */
public record BridgeSpec(String name, BridgeOptions options) {
}
