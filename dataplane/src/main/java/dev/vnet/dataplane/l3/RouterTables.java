package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;

import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * What the router knows of the network and of itself: its interfaces and their addresses, the route table and the
 * neighbor table. Stages read these without locks on every loop at once; the interfaces and addresses change only at
 * the loops' barrier, and {@link RouteTable} and {@link NeighborTable} say how each stays consistent.
 */
final class RouterTables {
    private final RouteTable routes;
    private final NeighborTable neighbors;
    private final Route6Table routes6;
    private final NeighborTable neighbors6;
    private RouterInterface[] interfaces = new RouterInterface[0];
    private int[] localAddresses = new int[0];
    /**
     * One bit per router address, at a hash of it: {@link #isLocal} asks it first, so an address that is not the
     * router's (nearly every source it is asked about, once per packet) is answered without the loop.
     */
    private long localFilter;
    // The router's IPv6 addresses (link-local ones included) and a filter of their low halves, as for IPv4.
    private long[] local6Hi = new long[0];
    private long[] local6Lo = new long[0];
    private long local6Filter;
    /** Wall-clock milliseconds, for the timestamps the router writes into IP timestamp options. */
    private LongSupplier wallClock = System::currentTimeMillis;

    RouterTables(RouterLimits limits) {
        this.routes = new RouteTable(limits.maxRoutes(), 2 * limits.maxConnections()); // a hint per direction
        this.neighbors = new NeighborTable(limits.maxNeighbors());
        this.routes6 = new Route6Table(limits.maxRoutes());
        this.neighbors6 = new NeighborTable(limits.maxNeighbors());
    }

    Route6Table routes6() {
        return routes6;
    }

    /** The IPv6 neighbour cache: a table of its own, as the kernel's nd_tbl beside arp_tbl. */
    NeighborTable neighbors6() {
        return neighbors6;
    }

    RouteTable routes() {
        return routes;
    }

    NeighborTable neighbors() {
        return neighbors;
    }

    /** The interface with index {@code i}. */
    RouterInterface iface(int i) {
        return interfaces[i];
    }

    List<RouterInterface> interfaces() {
        return List.of(interfaces);
    }

    /** Adds {@code iface}, whose index is the number of interfaces before it. */
    void add(RouterInterface iface) {
        interfaces = Arrays.copyOf(interfaces, interfaces.length + 1);
        interfaces[iface.index()] = iface;
        addLocal6(iface.linkLocal());
    }

    /** Records IPv6 address {@code a} as the router's, for {@link #isLocal6}. */
    private void addLocal6(Ipv6Address a) {
        local6Hi = Arrays.copyOf(local6Hi, local6Hi.length + 1);
        local6Lo = Arrays.copyOf(local6Lo, local6Lo.length + 1);
        local6Hi[local6Hi.length - 1] = a.hi();
        local6Lo[local6Lo.length - 1] = a.lo();
        local6Filter |= 1L << filterBit6(a.lo());
    }

    private static int filterBit6(long lo) {
        return (int) ((lo * 0x9E37_79B9_7F4A_7C15L) >>> 58);
    }

    int interfaceCount() {
        return interfaces.length;
    }

    /** Adds {@code address/prefixLength} to {@code iface} and its connected route. */
    void addAddress(RouterInterface iface, int address, int prefixLength) {
        if (isLocal(address)) {
            throw new IllegalArgumentException("address " + Ipv4Addr.toString(address) + " is already the router's");
        }
        iface.addAddress(address, prefixLength);
        localAddresses = Arrays.copyOf(localAddresses, localAddresses.length + 1);
        localAddresses[localAddresses.length - 1] = address;
        localFilter |= 1L << filterBit(address);
        routes.put(address & Ipv4Addr.mask(prefixLength), prefixLength, iface.index(), 0);
    }

    /** The interface whose subnet holds {@code address}, or null. */
    RouterInterface onLink(int address) {
        for (RouterInterface i : interfaces) {
            if (i.onLink(address)) {
                return i;
            }
        }
        return null;
    }

    /** Adds IPv6 {@code cidr} to {@code iface} and, unless it is link-local, its connected route. */
    void addAddress6(RouterInterface iface, Ipv6Cidr cidr) {
        Ipv6Address a = cidr.address();
        for (RouterInterface i : interfaces) {
            if (i.hasAddress6(a.hi(), a.lo())) {
                throw new IllegalArgumentException("address " + a + " is already the router's (on " + i.name() + ")");
            }
        }
        if (iface.mtu() < Ipv6.MIN_MTU) {
            // As the kernel, which turns IPv6 off on a device whose MTU falls below 1280 (RFC 8200 section 5).
            throw new IllegalArgumentException("interface " + iface.name() + " has MTU " + iface.mtu()
                    + ", below IPv6's minimum of " + Ipv6.MIN_MTU + ": it cannot carry IPv6");
        }
        iface.addAddress6(cidr);
        addLocal6(a);
        if (!Ipv6.isLinkLocal(a.hi())) {
            routes6.put(a.hi(), a.lo(), cidr.prefixLength(), iface.index(), 0, 0);
        }
    }

    /**
     * The interface whose IPv6 prefixes hold {@code hi:lo} (a link-local address: none, as it names no link), or
     * null.
     */
    RouterInterface onLink6(long hi, long lo) {
        for (RouterInterface i : interfaces) {
            if (i.onLink6(hi, lo)) {
                return i;
            }
        }
        return null;
    }

    /**
     * The address the router sends from to {@code hi:lo} out of {@code iface} (RFC 6724's rules as they fall out for
     * a router): the interface's address on that prefix, else its first global one, else a global one of another
     * interface, else the link-local one (to a link-local destination, the link-local one).
     */
    Ipv6Address source6For(RouterInterface iface, long hi, long lo) {
        if (Ipv6.isLinkLocal(hi)) {
            return iface.linkLocal();
        }
        Ipv6Address on = iface.address6On(hi, lo);
        if (on != null) {
            return on;
        }
        if (iface.addresses6().size() > 1) {
            return iface.addresses6().get(1).address();
        }
        for (RouterInterface i : interfaces) {
            if (i.addresses6().size() > 1) {
                return i.addresses6().get(1).address();
            }
        }
        return iface.linkLocal();
    }

    /** True when {@code hi:lo} is one of the router's IPv6 addresses (a link-local one included). */
    boolean isLocal6(long hi, long lo) {
        if ((local6Filter & (1L << filterBit6(lo))) == 0) {
            return false;
        }
        long[] his = local6Hi;
        long[] los = local6Lo;
        for (int i = 0; i < los.length; i++) {
            if (los[i] == lo && his[i] == hi) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code ip} is one of the router's addresses. */
    boolean isLocal(int ip) {
        if ((localFilter & (1L << filterBit(ip))) == 0) {
            return false;
        }
        for (int a : localAddresses) {
            if (a == ip) {
                return true;
            }
        }
        return false;
    }

    private static int filterBit(int ip) {
        return Ipv4Addr.hash(ip, 6);
    }

    /** The address an ICMP error about a packet from {@code in} comes from: that interface's, else any of ours. */
    int errorSource(RouterInterface in) {
        return in != null ? in.primaryAddress() : localAddresses.length > 0 ? localAddresses[0] : 0;
    }

    /** The address of {@code iface} on the subnet of {@code target}, else its primary address. */
    static int sourceFor(RouterInterface iface, int target) {
        int[] addrs = iface.addresses();
        int[] lengths = iface.prefixLengths();
        for (int i = 0; i < addrs.length; i++) {
            if (Ipv4Addr.contains(addrs[i], lengths[i], target)) {
                return addrs[i];
            }
        }
        return iface.primaryAddress();
    }

    void setWallClock(LongSupplier millis) {
        this.wallClock = millis;
    }

    /** Now, as RFC 791's timestamp option counts it: milliseconds since midnight UT. */
    int optionTimestamp() {
        return IpOptionStamps.timestamp(wallClock.getAsLong());
    }
}
