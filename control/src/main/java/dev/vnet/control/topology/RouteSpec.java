package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.IpAddress;
import dev.vnet.dataplane.wire.IpPrefix;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.Ipv4Cidr;

/**
 * A static route of vnet's router, IPv4 or IPv6 ({@code ip route} and {@code ip -6 route}).
 *
 * @param destination the destination prefix (host bits zero)
 * @param gateway     the next hop, of the destination's family, on one of the router's subnets
 */
public record RouteSpec(IpPrefix destination, IpAddress gateway) {
    /** An IPv4 route to {@code destination} via {@code gateway}. */
    public RouteSpec(Ipv4Cidr destination, int gateway) {
        this(destination, new Ipv4Address(gateway));
    }

    /** True for an IPv6 route. */
    public boolean isIpv6() {
        return destination instanceof dev.vnet.dataplane.wire.Ipv6Cidr;
    }
}
