package dev.vnet.dataplane.api;

import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.MacAddress;

/**
 * One neighbor (ARP) entry, as {@code ip neigh} lists it.
 *
 * @param address   the neighbor's IPv4 address
 * @param mac       its MAC, or null while unresolved
 * @param iface     the router interface it is reached through
 * @param state     INCOMPLETE, REACHABLE or STALE
 * @param queued    frames waiting for it to resolve
 */
public record NeighborEntry(Ipv4Address address, MacAddress mac, String iface, String state, int queued) {
}
