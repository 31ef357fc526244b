package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.Ipv4Cidr;

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
 */
public record NamespaceSpec(String name, String bridge, String interfaceName, Ipv4Cidr address, int mtu,
                            int defaultGateway, boolean offloads) {
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
        return new NamespaceSpec(prefix + name, bridge, interfaceName, address, mtu, defaultGateway, offloads);
    }

    /** The same namespace with offloads on or off. */
    public NamespaceSpec withOffloads(boolean on) {
        return new NamespaceSpec(name, bridge, interfaceName, address, mtu, defaultGateway, on);
    }
}
