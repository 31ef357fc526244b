package dev.vnet.control.topology;

/**
 * A network namespace vnet creates and attaches to a bridge through a TAP.
 *
 * @param name           the namespace name ({@code ip netns add NAME})
 * @param bridge         the bridge its interface is attached to
 * @param interfaceName  the interface's name inside the namespace
 * @param address        the interface's address
 * @param mtu            the interface's MTU
 * @param defaultGateway the default route's next hop inside the namespace, or 0 for none
 */
public record NamespaceSpec(String name, String bridge, String interfaceName, InterfaceAddress address, int mtu,
                            int defaultGateway) {
    /** A namespace without a default route. */
    public NamespaceSpec(String name, String bridge, String interfaceName, InterfaceAddress address, int mtu) {
        this(name, bridge, interfaceName, address, mtu, 0);
    }

    /** The same namespace with {@code prefix} in front of its name. */
    public NamespaceSpec withPrefix(String prefix) {
        return new NamespaceSpec(prefix + name, bridge, interfaceName, address, mtu, defaultGateway);
    }
}
