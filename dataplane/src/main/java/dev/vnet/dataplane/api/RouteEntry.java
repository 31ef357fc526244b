package dev.vnet.dataplane.api;

/**
 * One route, as {@code ip route} lists it.
 *
 * @param prefix  destination, {@code a.b.c.d/len}
 * @param iface   the router interface it leaves by
 * @param gateway the next hop, or null for a connected route
 */
public record RouteEntry(String prefix, String iface, String gateway) {
}
