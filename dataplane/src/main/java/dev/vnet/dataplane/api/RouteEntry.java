package dev.vnet.dataplane.api;

import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.Ipv4Cidr;

/**
 * One route, as {@code ip route} lists it.
 *
 * @param prefix  destination network
 * @param iface   the router interface it leaves by
 * @param gateway the next hop, or null for a connected route
 */
public record RouteEntry(Ipv4Cidr prefix, String iface, Ipv4Address gateway) {
}
