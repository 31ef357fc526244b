package dev.vnet.control.topology;

/**
 * A static route of vnet's router.
 *
 * @param destination the destination prefix (host bits zero)
 * @param gateway     the next hop, on one of the router's subnets
 */
public record RouteSpec(InterfaceAddress destination, int gateway) {
}
