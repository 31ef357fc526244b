package dev.vnet.dataplane.api;

import dev.vnet.dataplane.wire.IpAddress;
import dev.vnet.dataplane.wire.IpPrefix;

/**
 * One route, IPv4 or IPv6, as {@code ip route} and {@code ip -6 route} list it.
 *
 * @param prefix  destination network
 * @param iface   the router interface it leaves by
 * @param gateway the next hop, or null for a connected route
 */
public record RouteEntry(IpPrefix prefix, String iface, IpAddress gateway) {
}
