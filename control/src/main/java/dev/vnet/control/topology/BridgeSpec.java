package dev.vnet.control.topology;

import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;

import java.util.List;

/**
 * A bridge in the topology.
 *
 * @param name          its name (as the seeds' {@code v-net-0})
 * @param options       FDB bound and aging
 * @param gateways      the router's addresses on this bridge (none: a plain switch)
 * @param hostInterface a TAP left in the root namespace under this name so the host itself joins the bridge (as the
 *                      seeds' {@code ip addr add ... dev v-net-0}), or null for none
 * @param hostAddress   the host's address on that interface (with {@code hostInterface})
 * @param vxlan         how the bridge extends over VXLAN to other hosts, or null when it stays on this one
 * @param gateways6     the router's IPv6 addresses on this bridge (beside the link-local one it always has there)
 * @param routerAdvertisements the router advertises the IPv6 prefixes on this bridge (the default)
 * @param rdnss         the recursive DNS servers the advertisements name (RFC 8106), none unless given
 * @param hostAddresses6 the host's IPv6 addresses on its port (with {@code hostInterface}), none unless given
 * @param isolated      its namespaces reach the uplinks but not the namespaces of other bridges behind the router,
 *                      nor they them (Docker's isolation between networks)
 * @param filterSwitched the policy also decides the connections switched between this bridge's namespaces (the
 *                      kernel's br_netfilter); needs a gateway, whose router holds the policy
 */
public record BridgeSpec(String name, BridgeOptions options, List<Ipv4Cidr> gateways, String hostInterface,
                         Ipv4Cidr hostAddress, VxlanSpec vxlan, List<Ipv6Cidr> gateways6,
                         boolean routerAdvertisements, List<Ipv6Address> rdnss, List<Ipv6Cidr> hostAddresses6,
                         boolean isolated, boolean filterSwitched) {
    /** Copies the lists. */
    public BridgeSpec {
        gateways = List.copyOf(gateways);
        gateways6 = List.copyOf(gateways6);
        rdnss = List.copyOf(rdnss);
        hostAddresses6 = List.copyOf(hostAddresses6);
    }

    /** A bridge whose switched traffic is not filtered. */
    public BridgeSpec(String name, BridgeOptions options, List<Ipv4Cidr> gateways, String hostInterface,
                      Ipv4Cidr hostAddress, VxlanSpec vxlan, List<Ipv6Cidr> gateways6, boolean routerAdvertisements,
                      List<Ipv6Address> rdnss, List<Ipv6Cidr> hostAddresses6, boolean isolated) {
        this(name, options, gateways, hostInterface, hostAddress, vxlan, gateways6, routerAdvertisements, rdnss,
                hostAddresses6, isolated, false);
    }

    /** A bridge that is not isolated. */
    public BridgeSpec(String name, BridgeOptions options, List<Ipv4Cidr> gateways, String hostInterface,
                      Ipv4Cidr hostAddress, VxlanSpec vxlan, List<Ipv6Cidr> gateways6, boolean routerAdvertisements,
                      List<Ipv6Address> rdnss, List<Ipv6Cidr> hostAddresses6) {
        this(name, options, gateways, hostInterface, hostAddress, vxlan, gateways6, routerAdvertisements, rdnss,
                hostAddresses6, false);
    }

    /** A bridge whose host port, if any, has no IPv6 address. */
    public BridgeSpec(String name, BridgeOptions options, List<Ipv4Cidr> gateways, String hostInterface,
                      Ipv4Cidr hostAddress, VxlanSpec vxlan, List<Ipv6Cidr> gateways6, boolean routerAdvertisements,
                      List<Ipv6Address> rdnss) {
        this(name, options, gateways, hostInterface, hostAddress, vxlan, gateways6, routerAdvertisements, rdnss,
                List.of());
    }

    /** A bridge without IPv6 gateway addresses. */
    public BridgeSpec(String name, BridgeOptions options, List<Ipv4Cidr> gateways, String hostInterface,
                      Ipv4Cidr hostAddress, VxlanSpec vxlan) {
        this(name, options, gateways, hostInterface, hostAddress, vxlan, List.of(), true, List.of());
    }

    /** A bridge on this host only. */
    public BridgeSpec(String name, BridgeOptions options, List<Ipv4Cidr> gateways, String hostInterface,
                      Ipv4Cidr hostAddress) {
        this(name, options, gateways, hostInterface, hostAddress, null);
    }

    /** A bridge without a host port. */
    public BridgeSpec(String name, BridgeOptions options, List<Ipv4Cidr> gateways) {
        this(name, options, gateways, null, null);
    }

    /** A bridge without a gateway or a host port. */
    public BridgeSpec(String name, BridgeOptions options) {
        this(name, options, List.of(), null, null);
    }

    /** True when the host joins the bridge through a TAP of its own. */
    public boolean hasHostPort() {
        return hostInterface != null;
    }
}
