package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.Ipv4Cidr;

/**
 * A static route of vnet's router.
 *
 * @param destination the destination prefix (host bits zero)
 * @param gateway     the next hop, on one of the router's subnets
 */
public record RouteSpec(Ipv4Cidr destination, int gateway) {
}
