package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;

import java.util.List;

/**
 * A network namespace vnet creates and attaches to a bridge through a TAP.
 *
 * @param name           the namespace name ({@code ip netns add NAME})
 * @param bridge         the bridge its interface is attached to
 * @param interfaceName  the interface's name inside the namespace
 * @param address        the interface's address
 * @param mtu            the interface's MTU
 * @param defaultGateway the default route's next hop inside the namespace, or 0 for none
 * @param offloads       its TAP takes partial checksums and TCP super-frames (virtio-net header); off: one MTU-sized,
 *                       fully checksummed frame per read and write
 * @param addresses6     the interface's IPv6 addresses (beside the link-local one the kernel gives it)
 * @param defaultGateway6 the IPv6 default route's next hop inside the namespace, or null for none (a namespace that
 *                       accepts router advertisements, the kernel's default, may still learn one from them)
 */
public record NamespaceSpec(String name, String bridge, String interfaceName, Ipv4Cidr address, int mtu,
                            int defaultGateway, boolean offloads, List<Ipv6Cidr> addresses6,
                            Ipv6Address defaultGateway6) {
    /** Copies the list. */
    public NamespaceSpec {
        addresses6 = List.copyOf(addresses6);
    }

    /** A namespace without an IPv6 default route. */
    public NamespaceSpec(String name, String bridge, String interfaceName, Ipv4Cidr address, int mtu,
                         int defaultGateway, boolean offloads, List<Ipv6Cidr> addresses6) {
        this(name, bridge, interfaceName, address, mtu, defaultGateway, offloads, addresses6, null);
    }

    /** A namespace without IPv6 addresses. */
    public NamespaceSpec(String name, String bridge, String interfaceName, Ipv4Cidr address, int mtu,
                         int defaultGateway, boolean offloads) {
        this(name, bridge, interfaceName, address, mtu, defaultGateway, offloads, List.of());
    }

    /** A namespace with offloads on. */
    public NamespaceSpec(String name, String bridge, String interfaceName, Ipv4Cidr address, int mtu,
                         int defaultGateway) {
        this(name, bridge, interfaceName, address, mtu, defaultGateway, true);
    }

    /** A namespace without a default route. */
    public NamespaceSpec(String name, String bridge, String interfaceName, Ipv4Cidr address, int mtu) {
        this(name, bridge, interfaceName, address, mtu, 0);
    }

    /** The same namespace with {@code prefix} in front of its name. */
    public NamespaceSpec withPrefix(String prefix) {
        return new NamespaceSpec(prefix + name, bridge, interfaceName, address, mtu, defaultGateway, offloads,
                addresses6, defaultGateway6);
    }

    /** The same namespace with offloads on or off. */
    public NamespaceSpec withOffloads(boolean on) {
        return new NamespaceSpec(name, bridge, interfaceName, address, mtu, defaultGateway, on, addresses6,
                defaultGateway6);
    }
}
