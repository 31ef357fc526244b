package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.nat.NatRules;
import dev.vnet.dataplane.pipeline.Attachments;
import dev.vnet.dataplane.pipeline.Pipeline;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.port.DevicePort;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;

import java.util.List;

/**
 * The router (RFC 1812 for IPv4, RFC 8200 and 4861 for IPv6): its configuration and its views. What it knows lives in {@link RouterTables}
 * (interfaces, addresses, routes, neighbors), its connection state in {@link NatState}, what it says back to senders
 * in {@link IcmpOutput}, and the stages frames take through it in {@link L3Graph}, which declares them and their
 * edges; no stage holds the router. One per dataplane, shared by every event loop: the loops forward through it at
 * once, reading its tables without locks (the tables say how each stays consistent: {@code ConnTable} and
 * {@code NeighborTable} lock for their changes); its configuration changes only at the loops' barrier.
 */
public final class Router {
    private final RouterLimits limits;
    private final RouterTables tables;
    private final NatState nat;
    private final L3Graph graph;
    private final Attachments attachments;

    /**
     * A router with empty tables of the given bounds and the connection timeouts of {@code limits}, whose interfaces'
     * frames enter it through {@code attachments} (the dataplane's).
     */
    public Router(RouterLimits limits, Attachments attachments) {
        this(limits, new java.util.SplittableRandom(), attachments);
    }

    /**
     * As {@link #Router(RouterLimits, Attachments)}, drawing NAT port offsets from {@code random} (a seeded one makes
     * an offline replay repeatable).
     */
    public Router(RouterLimits limits, java.util.random.RandomGenerator random, Attachments attachments) {
        this.limits = limits;
        this.attachments = attachments;
        this.tables = new RouterTables(limits);
        this.nat = new NatState(limits, random);
        this.graph = new L3Graph(tables, nat);
    }

    /** The bounds and timeouts it was made with. */
    public RouterLimits limits() {
        return limits;
    }

    /** The connection table. */
    public ConnTable conntrack() {
        return nat.conntrack();
    }

    /** The filter new routed connections pass (rules, default, counters). */
    public dev.vnet.dataplane.filter.Policy policy() {
        return nat.policy();
    }

    /** The NAT rules (MASQUERADE, port forwards). */
    public NatRules natRules() {
        return nat.rules();
    }

    /**
     * Gives {@code bridge} a router interface through {@code port} (which this attaches to the bridge), with MAC
     * {@code mac}: the router answers for its addresses there and routes frames sent to its MAC.
     */
    public RouterInterface addBridgeInterface(Bridge bridge, RouterPort port, long mac, int mtu) {
        RouterInterface iface = newInterface(bridge.name(), mac, mtu, port, bridge.forwardStage());
        iface.setNdGuard(bridge.ndGuard());
        bridge.attach(port);
        attachments.setIngress(port, graph.input(iface, true));
        bridge.table().putStatic(mac, port);
        return iface;
    }

    /**
     * Makes the policy decide the connections {@code iface}'s bridge switches between its own ports too (as
     * {@code br_netfilter}), or ({@code on} false) no longer. At the loops' barrier.
     */
    public void filterSwitched(Bridge bridge, RouterInterface iface, boolean on) {
        bridge.setSwitchedFilter(on ? new SwitchedFilter(iface.index(), nat, graph.filter) : null, iface.port());
    }

    /** Makes {@code port} (an uplink TAP) a routed interface of its own, with MAC {@code mac}. */
    public RouterInterface addPortInterface(String name, DevicePort port, long mac, int mtu) {
        RouterInterface iface = newInterface(name, mac, mtu, port, new PortOutput(port));
        iface.setAdvertises(false); // the far side of an uplink is another network, which has routers of its own
        attachments.setIngress(port, graph.input(iface, false));
        return iface;
    }

    private RouterInterface newInterface(String name, long mac, int mtu, Port port, Stage output) {
        if (MacAddr.isGroup(mac) || mac == 0) {
            throw new IllegalArgumentException("router interface " + name + " needs a unicast MAC");
        }
        RouterInterface iface = new RouterInterface(tables.interfaceCount(), name, mac, mtu, port, output);
        iface.setResume(graph.resume(iface));
        tables.add(iface);
        return iface;
    }

    /** Adds {@code address/prefixLength} to {@code iface} and its connected route. */
    public void addAddress(RouterInterface iface, int address, int prefixLength) {
        tables.addAddress(iface, address, prefixLength);
    }

    /**
     * Adds IPv6 {@code cidr} to {@code iface} (beside its link-local address) and its connected route: the router
     * answers neighbour solicitations and pings for it, and routes to its prefix.
     */
    public void addAddress6(RouterInterface iface, Ipv6Cidr cidr) {
        tables.addAddress6(iface, cidr);
        if (iface.ndGuard() != null) {
            iface.ndGuard().protect(cidr.address().hi(), cidr.address().lo());
        }
    }

    /**
     * Adds an IPv6 route to {@code network} via {@code gateway}, which must be on one of the router's IPv6 prefixes
     * (the link-local gateways the kernel also takes need a device named; vnet's routes name none).
     */
    public void addRoute6(Ipv6Cidr network, Ipv6Address gateway) {
        RouterInterface via = tables.onLink6(gateway.hi(), gateway.lo());
        if (via == null) {
            throw new IllegalArgumentException("gateway " + gateway + " of route " + network
                    + " is not on any of the router's IPv6 prefixes");
        }
        Ipv6Address net = network.network();
        tables.routes6().put(net.hi(), net.lo(), network.prefixLength(), via.index(), gateway.hi(), gateway.lo());
    }

    /** Removes the static IPv6 route to exactly {@code network}; a connected route is left as it is. */
    public RouteRemoval removeStaticRoute6(Ipv6Cidr network) {
        Route6Table routes = tables.routes6();
        Ipv6Address net = network.network();
        int id = routes.find(net.hi(), net.lo(), network.prefixLength());
        if (id == Route6Table.NO_ROUTE) {
            return RouteRemoval.NO_SUCH_ROUTE;
        }
        if (routes.isConnected(id)) {
            return RouteRemoval.CONNECTED;
        }
        routes.remove(net.hi(), net.lo(), network.prefixLength());
        return RouteRemoval.REMOVED;
    }

    /** The recursive DNS servers the advertisements of {@code iface} name (RFC 8106); none by default. */
    public void setDnsServers(RouterInterface iface, List<Ipv6Address> servers) {
        iface.setDnsServers(servers);
    }

    /** Turns the router advertisements of {@code iface} on (the default once it has an IPv6 address) or off. */
    public void setRouterAdvertisements(RouterInterface iface, boolean on) {
        iface.setAdvertises(on);
    }

    /** Adds a route to {@code network/length} via {@code gateway}, which must be on a connected subnet. */
    public void addRoute(int network, int length, int gateway) {
        RouterInterface via = tables.onLink(gateway);
        if (via == null) {
            throw new IllegalArgumentException("gateway " + Ipv4Addr.toString(gateway) + " of route "
                    + Ipv4Addr.toString(network) + "/" + length + " is not on any of the router's subnets");
        }
        tables.routes().put(network, length, via.index(), gateway);
    }

    /** What {@link #removeStaticRoute} did. */
    public enum RouteRemoval {
        /** The static route is gone. */
        REMOVED,
        /** There is no route to exactly that prefix. */
        NO_SUCH_ROUTE,
        /** The route is a connected one (an interface's subnet): it goes with the address, not by itself. */
        CONNECTED
    }

    /** Removes the static route to exactly {@code network/length}; a connected route is left as it is. */
    public RouteRemoval removeStaticRoute(int network, int length) {
        RouteTable routes = tables.routes();
        int id = routes.find(network, length);
        if (id == RouteTable.NO_ROUTE) {
            return RouteRemoval.NO_SUCH_ROUTE;
        }
        if (routes.gatewayOf(id) == 0) {
            return RouteRemoval.CONNECTED;
        }
        routes.remove(network, length);
        return RouteRemoval.REMOVED;
    }

    /** The interface with index {@code i}. */
    public RouterInterface iface(int i) {
        return tables.iface(i);
    }

    /** Every interface. */
    public List<RouterInterface> interfaces() {
        return tables.interfaces();
    }

    /** The route table. */
    public RouteTable routes() {
        return tables.routes();
    }

    /** The neighbor table. */
    public NeighborTable neighbors() {
        return tables.neighbors();
    }

    /** The IPv6 route table. */
    public Route6Table routes6() {
        return tables.routes6();
    }

    /** The IPv6 neighbour cache. */
    public NeighborTable neighbors6() {
        return tables.neighbors6();
    }

    /** True when {@code ip} is one of the router's addresses. */
    public boolean isLocal(int ip) {
        return tables.isLocal(ip);
    }

    /** Replaces the wall clock the router reads for IP timestamp options (tests fix it). */
    public void setWallClock(java.util.function.LongSupplier millis) {
        tables.setWallClock(millis);
    }

    /** ICMP redirects sent since the start (hosts told of a better first hop on their own subnet). */
    public long redirectsSent() {
        return graph.icmp.redirectsSent();
    }

    /** ICMP errors not sent because of the rate limits (a tenant sending TTL-1 or unroutable floods). */
    public long icmpErrorsSuppressed() {
        return graph.icmp.errorsSuppressed();
    }

    /** Fragments that waited for their datagram's first fragment (they overtook it), since the start. */
    public long fragmentsHeld() {
        return nat.fragments().heldTotal();
    }

    /** Fragments waiting for their datagram's first fragment now. */
    public int fragmentsWaiting() {
        return nat.fragments().heldNow();
    }

    /** Datagrams to the router itself being reassembled now. */
    public int reassembliesInProgress() {
        return nat.localReassembly().inProgress();
    }

    /**
     * Releases the fragments still waiting for their first and the datagrams to the router still being reassembled
     * (the dataplane is closing).
     */
    public void releaseHeldFragments() {
        nat.releaseHeld();
    }

    /**
     * The router's timer, about every 200 ms: held fragments whose first fragment did not come dropped, datagrams to
     * the router whose fragments did not all come given up (ICMP reassembly time exceeded), ARP and neighbour
     * solicitation retransmissions, neighbors given up (their queued frames answered with ICMP host unreachable or
     * ICMPv6 address unreachable), neighbor aging, router advertisements. Runs inside a
     * pipeline batch so what it sends goes out at once.
     */
    public void tick(long now, Pipeline pipeline) {
        IcmpOutput icmp = graph.icmp;
        RouterAdvertisements.tick(now, tables.interfaces(), tables.routes6(), pipeline::allocate,
                (i, ra) -> pipeline.inject(i.port(), i.output(), ra));
        nat.fragments().expire(now);
        nat.localReassembly().expire(now, pipeline::allocate, (quote, in) -> {
            int l3 = Ethernet.HEADER_LEN;
            if (in != null) { // from the address the datagram was sent to, as the kernel answers for its own
                icmp.timerError(pipeline, in.port(), quote, l3, Icmp4.TYPE_TIME_EXCEEDED, 1, Ipv4.dst(quote, l3), now);
            }
            quote.release();
        });
        tables.neighbors().tick(now, new NeighborTable.Actions() {
            @Override
            public void sendRequest(int iface, long hi, long lo) {
                RouterInterface i = tables.iface(iface);
                pipeline.inject(i.port(), i.output(), NeighborOutput.arpRequest(pipeline::allocate, i, (int) lo));
            }

            @Override
            public void unresolved(int iface, long hi, long lo, ByteBuf frame) {
                RouterInterface i = tables.iface(iface);
                i.port().counters().drop(DropReason.NEIGHBOR_UNRESOLVED);
                int l3 = frame.readerIndex() + Ethernet.HEADER_LEN;
                // RFC 1812 4.3.3.1: host unreachable for a next hop that does not answer.
                icmp.timerError(pipeline, i.port(), frame, l3, Icmp4.TYPE_DEST_UNREACHABLE, 1, i.primaryAddress(), now);
                frame.release();
            }
        });
        tables.neighbors6().tick(now, new NeighborTable.Actions() {
            @Override
            public void sendRequest(int iface, long hi, long lo) {
                RouterInterface i = tables.iface(iface);
                pipeline.inject(i.port(), i.output(), Neighbor6Output.solicitation(pipeline::allocate, tables, i, hi,
                        lo));
            }

            @Override
            public void unresolved(int iface, long hi, long lo, ByteBuf frame) {
                RouterInterface i = tables.iface(iface);
                i.port().counters().drop(DropReason.NEIGHBOR_UNRESOLVED);
                // RFC 4443 3.1: address unreachable for a neighbour that does not answer.
                graph.icmp6.timerError(pipeline, i.port(), i, frame, frame.readerIndex() + Ethernet.HEADER_LEN,
                        Icmp6.TYPE_DEST_UNREACHABLE, 3, now);
                frame.release();
            }
        });
    }
}
