package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Cidr;

import java.util.List;

/**
 * An uplink: a TAP that is a routed port of vnet's router, whose far side is another network, a namespace of hosts
 * vnet creates (in the seed lab, {@code lan} holding the host 192.168.1.3).
 *
 * @param name          the port's name
 * @param namespace     the namespace the TAP's interface is moved into, or null to leave it in the root namespace
 *                      (the host itself is then the far side: its kernel gets the interface and host address)
 * @param interfaceName the interface's name inside that namespace
 * @param hostAddress   the address of the interface inside the namespace (the host on the far side)
 * @param routerAddress the router's address on this link
 * @param mtu           the link's MTU, on both sides
 * @param offloads      its TAP takes partial checksums and TCP super-frames (see {@link NamespaceSpec})
 * @param hostAddresses6   the far side's IPv6 addresses on this link
 * @param routerAddresses6 the router's IPv6 addresses on this link (beside its link-local one)
 */
public record UplinkSpec(String name, String namespace, String interfaceName, Ipv4Cidr hostAddress,
                         Ipv4Cidr routerAddress, int mtu, boolean offloads, List<Ipv6Cidr> hostAddresses6,
                         List<Ipv6Cidr> routerAddresses6) {
    /** Copies the lists. */
    public UplinkSpec {
        hostAddresses6 = List.copyOf(hostAddresses6);
        routerAddresses6 = List.copyOf(routerAddresses6);
    }

    /** An uplink without IPv6. */
    public UplinkSpec(String name, String namespace, String interfaceName, Ipv4Cidr hostAddress,
                      Ipv4Cidr routerAddress, int mtu, boolean offloads) {
        this(name, namespace, interfaceName, hostAddress, routerAddress, mtu, offloads, List.of(), List.of());
    }

    /** An uplink with offloads on. */
    public UplinkSpec(String name, String namespace, String interfaceName, Ipv4Cidr hostAddress,
                      Ipv4Cidr routerAddress, int mtu) {
        this(name, namespace, interfaceName, hostAddress, routerAddress, mtu, true);
    }

    /** The same uplink with offloads on or off. */
    public UplinkSpec withOffloads(boolean on) {
        return new UplinkSpec(name, namespace, interfaceName, hostAddress, routerAddress, mtu, on, hostAddresses6,
                routerAddresses6);
    }

    /** The same uplink with {@code prefix} in front of its namespace's name (a root-namespace uplink is unchanged). */
    public UplinkSpec withPrefix(String prefix) {
        return namespace == null ? this
                : new UplinkSpec(name, prefix + namespace, interfaceName, hostAddress, routerAddress, mtu, offloads,
                hostAddresses6, routerAddresses6);
    }

    /** True when the TAP stays in the root namespace. */
    public boolean inRootNamespace() {
        return namespace == null;
    }
}
