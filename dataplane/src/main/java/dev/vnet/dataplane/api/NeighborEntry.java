package dev.vnet.dataplane.api;

import dev.vnet.dataplane.wire.IpAddress;
import dev.vnet.dataplane.wire.MacAddress;

/**
 * One neighbour entry (ARP, or IPv6 neighbour discovery), as {@code ip neigh} lists it.
 *
 * @param address   the neighbour's address, IPv4 or IPv6
 * @param mac       its MAC, or null while unresolved
 * @param iface     the router interface it is reached through
 * @param state     INCOMPLETE, REACHABLE or STALE
 * @param queued    frames waiting for it to resolve
 */
public record NeighborEntry(IpAddress address, MacAddress mac, String iface, String state, int queued) {
}
