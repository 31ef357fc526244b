package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.conntrack.Conn;
import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.ConntrackTimeouts;
import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.nat.NatPlanner;
import dev.vnet.dataplane.nat.NatRules;
import dev.vnet.dataplane.nat.PortAllocator;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Pipeline;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.wire.Arp;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;

import java.util.Arrays;
import java.util.List;

/**
 * The IPv4 router (RFC 1812): its interfaces, route table and neighbor table, and the stage graph frames take through
 * it. One per dataplane, shared by every event loop: the loops forward through it at once, reading its tables
 * without locks (the tables say how each stays consistent: {@code ConnTable} and {@code NeighborTable} lock for
 * their changes); its configuration changes only at the loops' barrier.
 *
 * <pre>
 * L3Input(iface) ─ARP──▶ ArpInput                      (answer requests for our addresses, learn neighbors)
 *                └IPv4─▶ Ipv4Input ─▶ ConntrackIn (track, translate, DNAT)
 *                                       ├ours─▶ LocalDelivery ─echo reply─▶ Ipv4Output
 *                                       └other─▶ Ipv4Forward (TTL, route) ─fits the egress MTU──▶ NatOut
 *                                                 └too big─▶ MtuCheck (frag. needed, or) ─▶ NatOut ─▶ Fragmenter
 *                                       NatOut (SNAT, record) ─▶ NeighborOutput ─▶ iface output
 * injected by the router (ICMP errors, fragments) ───▶ LocalOutput ─▶ Ipv4Output (route) ─▶ (as above)
 * </pre>
 */
public final class Router {
    private final RouteTable routes;
    private final NeighborTable neighbors;
    private final ConnTable conntrack;
    private final FragmentTable fragments;
    private final LocalReassembly localReassembly = new LocalReassembly();
    private final NatRules natRules = new NatRules();
    private final NatPlanner natPlanner;
    private RouterInterface[] interfaces = new RouterInterface[0];
    private final RouterLimits limits;
    private int[] localAddresses = new int[0];
    /**
     * One bit per router address, at a hash of it: {@link #isLocal} asks it first, so an address that is not the
     * router's (nearly every source it is asked about, once per packet) is answered without the loop.
     */
    private long localFilter;
    private final java.util.concurrent.atomic.AtomicInteger nextIpId = new java.util.concurrent.atomic.AtomicInteger(1);
    /** Wall-clock milliseconds, for the timestamps the router writes into IP timestamp options. */
    private java.util.function.LongSupplier wallClock = System::currentTimeMillis;
    /** ICMP errors the router may send: per destination and all together, as the kernel limits them. */
    private final IcmpRateLimit icmpErrors = new IcmpRateLimit();
    /** ICMP redirects the router may send, per host. */
    private final RedirectLimit redirects = new RedirectLimit();

    final Stage arpInput = new ArpInput(this);
    final NeighborOutput neighborOutput = new NeighborOutput(this);
    final Stage mtuCheck = new MtuCheck(this);
    final Stage fragmenter = new Fragmenter(this);
    final Stage ipv4Output = new Ipv4Output(this);
    final Stage localOutput = new LocalOutput(this);
    final Stage localDelivery = new LocalDelivery(this);
    // The stages of a forwarded packet, by their classes: each runs the next directly (see Frame.traced()).
    final Ipv4Forward ipv4Forward = new Ipv4Forward(this);
    final NatOut natOut = new NatOut(this);
    final ConntrackIn conntrackIn = new ConntrackIn(this);
    final Ipv4Input ipv4Input = new Ipv4Input(this);

    /** A router with empty tables of the given bounds and the connection timeouts of {@code limits}. */
    public Router(RouterLimits limits) {
        this(limits, new java.util.SplittableRandom());
    }

    /**
     * As {@link #Router(RouterLimits)}, drawing NAT port offsets from {@code random} (a seeded one makes an offline
     * replay repeatable).
     */
    public Router(RouterLimits limits, java.util.random.RandomGenerator random) {
        this.limits = limits;
        this.routes = new RouteTable(limits.maxRoutes(), 2 * limits.maxConnections()); // a hint per direction
        this.neighbors = new NeighborTable(limits.maxNeighbors());
        this.conntrack = new ConnTable(limits.maxConnections());
        this.fragments = new FragmentTable();
        this.natPlanner = new NatPlanner(natRules, new PortAllocator(random));
    }

    /** A router with the default bounds. */
    public Router() {
        this(RouterLimits.defaults());
    }

    /** The bounds and timeouts it was made with. */
    public RouterLimits limits() {
        return limits;
    }

    /** The connection timeouts. */
    ConntrackTimeouts timeouts() {
        return limits.timeouts();
    }

    /** Which connection the fragments of a datagram in flight belong to, and the fragments held for their first. */
    FragmentTable fragments() {
        return fragments;
    }

    /** The connection table. */
    public ConnTable conntrack() {
        return conntrack;
    }

    /** The NAT rules (MASQUERADE, port forwards). */
    public NatRules natRules() {
        return natRules;
    }

    NatPlanner natPlanner() {
        return natPlanner;
    }

    /** After connection tracking (and DNAT): to the router itself, or forwarded. */
    Stage afterConntrack(Frame frame) {
        if (isLocal(Ipv4.dst(frame.buf(), frame.l3Offset()))) {
            return localDelivery;
        }
        return frame.traced() ? ipv4Forward : ipv4Forward.process(frame);
    }

    /**
     * Gives {@code bridge} a router interface through {@code port} (which this attaches to the bridge), with MAC
     * {@code mac}: the router answers for its addresses there and routes frames sent to its MAC.
     */
    public RouterInterface addBridgeInterface(Bridge bridge, RouterPort port, long mac, int mtu) {
        RouterInterface iface = newInterface(bridge.name(), mac, mtu, port, bridge.forwardStage());
        bridge.attach(port);
        port.setIngress(new L3Input(this, iface));
        bridge.table().putStatic(mac, port);
        return iface;
    }

    /** Makes {@code port} (an uplink TAP) a routed interface of its own, with MAC {@code mac}. */
    public RouterInterface addPortInterface(String name, Port port, long mac, int mtu) {
        RouterInterface iface = newInterface(name, mac, mtu, port, new PortOutput(port));
        port.setIngress(new L3Input(this, iface));
        return iface;
    }

    private RouterInterface newInterface(String name, long mac, int mtu, Port port, Stage output) {
        if (MacAddr.isGroup(mac) || mac == 0) {
            throw new IllegalArgumentException("router interface " + name + " needs a unicast MAC");
        }
        RouterInterface iface = new RouterInterface(interfaces.length, name, mac, mtu, port, output);
        iface.setResume(new FragmentResume(this, iface));
        interfaces = Arrays.copyOf(interfaces, interfaces.length + 1);
        interfaces[iface.index()] = iface;
        return iface;
    }

    /** Adds {@code address/prefixLength} to {@code iface} and its connected route. */
    public void addAddress(RouterInterface iface, int address, int prefixLength) {
        if (isLocal(address)) {
            throw new IllegalArgumentException("address " + Ipv4Addr.toString(address) + " is already the router's");
        }
        iface.addAddress(address, prefixLength);
        localAddresses = Arrays.copyOf(localAddresses, localAddresses.length + 1);
        localAddresses[localAddresses.length - 1] = address;
        localFilter |= 1L << filterBit(address);
        routes.put(address & Ipv4Addr.mask(prefixLength), prefixLength, iface.index(), 0);
    }

    /** Adds a route to {@code network/length} via {@code gateway}, which must be on a connected subnet. */
    public void addRoute(int network, int length, int gateway) {
        RouterInterface via = null;
        for (RouterInterface i : interfaces) {
            if (i.onLink(gateway)) {
                via = i;
                break;
            }
        }
        if (via == null) {
            throw new IllegalArgumentException("gateway " + Ipv4Addr.toString(gateway) + " of route "
                    + Ipv4Addr.toString(network) + "/" + length + " is not on any of the router's subnets");
        }
        routes.put(network, length, via.index(), gateway);
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
        return interfaces[i];
    }

    /** Every interface. */
    public List<RouterInterface> interfaces() {
        return List.of(interfaces);
    }

    /** The route table. */
    public RouteTable routes() {
        return routes;
    }

    /** The neighbor table. */
    public NeighborTable neighbors() {
        return neighbors;
    }

    /** True when {@code ip} is one of the router's addresses. */
    public boolean isLocal(int ip) {
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

    /** Replaces the wall clock the router reads for IP timestamp options (tests fix it). */
    public void setWallClock(java.util.function.LongSupplier millis) {
        this.wallClock = millis;
    }

    /** Now, as RFC 791's timestamp option counts it: milliseconds since midnight UT. */
    int optionTimestamp() {
        return IpOptionStamps.timestamp(wallClock.getAsLong());
    }

    int nextIpId() {
        return nextIpId.getAndIncrement() & 0xFFFF; // any loop may build a packet
    }

    /** ICMP redirects sent since the start (hosts told of a better first hop on their own subnet). */
    public long redirectsSent() {
        return redirects.allowed();
    }

    /** ICMP errors not sent because of the rate limits (a tenant sending TTL-1 or unroutable floods). */
    public long icmpErrorsSuppressed() {
        return icmpErrors.refused();
    }

    /** Fragments that waited for their datagram's first fragment (they overtook it), since the start. */
    public long fragmentsHeld() {
        return fragments.heldTotal();
    }

    /** Fragments waiting for their datagram's first fragment now. */
    public int fragmentsWaiting() {
        return fragments.heldNow();
    }

    /** Fragmented datagrams to the router itself, being put back together. */
    LocalReassembly localReassembly() {
        return localReassembly;
    }

    /** Datagrams to the router itself being reassembled now. */
    public int reassembliesInProgress() {
        return localReassembly.inProgress();
    }

    /**
     * Releases the fragments still waiting for their first and the datagrams to the router still being reassembled
     * (the dataplane is closing).
     */
    public void releaseHeldFragments() {
        fragments.clear();
        localReassembly.clear();
    }

    /**
     * Sends ICMP type/code about the packet in {@code frame} back to its source, when RFC 1812 allows it and the rate
     * limit has room (RFC 1812 4.3.2.8: a router should limit the rate of ICMP errors it originates).
     */
    void sendIcmpError(Frame frame, int type, int code, int restOfHeader) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        if (!mayAnswer(frame) || !icmpErrors.allow(Ipv4.src(buf, ip), type, code, frame.now())) {
            return;
        }
        RouterInterface in = frame.inInterface() >= 0 ? interfaces[frame.inInterface()] : null;
        int src = in != null ? in.primaryAddress() : localAddresses.length > 0 ? localAddresses[0] : 0;
        ByteBuf error = IcmpErrors.build(frame::allocate, buf, ip, type, code, restOfHeader, src, nextIpId());
        frame.inject(frame.inPort(), localOutput, error);
    }

    /**
     * The packet in {@code frame} leaves by the interface it came in on: its sender could have sent it straight to the
     * next hop, and is told so with an ICMP host redirect (RFC 792; RFC 1812 section 5.2.7.2), as the kernel does
     * with its default send_redirects: only to a sender on that interface's subnet, from the router's address there,
     * never about a packet an ICMP error may not be sent about, and at most as often as {@link RedirectLimit} allows.
     * Not for a translated connection (a port forward used from the inside): a host following it would send to the
     * inside address directly, around the translation. A kernel router counts one there (IcmpOutRedirects), but in
     * a test here the host received nothing and the hairpin kept working, which is what vnet gives.
     * The packet itself is forwarded all the same.
     */
    void sendRedirect(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        RouterInterface in = interfaces[frame.inInterface()];
        int sender = Ipv4.src(buf, ip);
        if (!in.onLink(sender) || frame.portForwarded() || !mayAnswer(frame)) {
            return;
        }
        int handle = frame.connection();
        if (handle >= 0 && (conntrack.flags(Conn.id(handle)) & Conn.TRANSLATED) != 0) {
            return;
        }
        if (redirects.allow(sender, frame.now())) {
            ByteBuf redirect = IcmpErrors.build(frame::allocate, buf, ip, Icmp4.TYPE_REDIRECT, 1, frame.nextHop(),
                    sourceFor(in, sender), nextIpId());
            frame.inject(frame.inPort(), localOutput, redirect);
        }
    }

    /**
     * Answers the TCP segment at {@code tcp} in {@code frame}, addressed to the router, with a reset (it serves no
     * TCP port), when the segment is not a reset itself and came from a unicast host. Not rate-limited, as the
     * kernel's resets are not: one answer per segment received.
     */
    void sendTcpReset(Frame frame, int tcp) {
        ByteBuf buf = frame.buf();
        if (!mayAnswer(frame) || !TcpResets.allowed(buf, tcp)) {
            return;
        }
        frame.inject(frame.inPort(), localOutput, TcpResets.build(frame::allocate, buf, frame.l3Offset(), tcp,
                nextIpId()));
    }

    /** True when the packet in {@code frame} may be answered (RFC 1812 4.3.2.7, see {@link IcmpErrors#allowed}). */
    private static boolean mayAnswer(Frame frame) {
        boolean linkBroadcast = MacAddr.isGroup(Ethernet.dst(frame.buf(), frame.start()));
        return IcmpErrors.allowed(frame.buf(), frame.l3Offset(), linkBroadcast);
    }

    /**
     * From the timer: sends ICMP {@code type}/{@code code} from {@code src} about the packet at {@code l3} in
     * {@code about} (not a link broadcast) out by {@code port}, when RFC 1812 and the rate limits allow it.
     */
    private void sendIcmpError(Pipeline pipeline, Port port, ByteBuf about, int l3, int type, int code, int src,
                               long now) {
        if (IcmpErrors.allowed(about, l3, false) && icmpErrors.allow(Ipv4.src(about, l3), type, code, now)) {
            pipeline.inject(port, localOutput, IcmpErrors.build(pipeline::allocate, about, l3, type, code, 0, src,
                    nextIpId()));
        }
    }

    /** Builds a broadcast ARP request for {@code target} from {@code iface}. */
    ByteBuf arpRequest(java.util.function.IntFunction<ByteBuf> allocate, RouterInterface iface, int target) {
        ByteBuf req = allocate.apply(Ethernet.HEADER_LEN + Arp.LENGTH);
        req.writerIndex(Ethernet.HEADER_LEN + Arp.LENGTH);
        Ethernet.setDst(req, 0, MacAddr.BROADCAST);
        Ethernet.setSrc(req, 0, iface.mac());
        Ethernet.setType(req, 0, Ethernet.TYPE_ARP);
        int src = sourceFor(iface, target);
        Arp.write(req, Ethernet.HEADER_LEN, Arp.OP_REQUEST, iface.mac(), src, 0, target);
        return req;
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

    /**
     * The router's timer, about every 200 ms: held fragments whose first fragment did not come dropped, datagrams to
     * the router whose fragments did not all come given up (ICMP reassembly time exceeded), ARP retransmissions,
     * neighbors given up (their queued frames answered with ICMP host unreachable), neighbor aging. Runs inside a
     * pipeline batch so what it sends goes out at once.
     */
    public void tick(long now, Pipeline pipeline) {
        fragments.expire(now);
        localReassembly.expire(now, pipeline::allocate, (quote, in) -> {
            int l3 = Ethernet.HEADER_LEN;
            if (in != null) { // from the address the datagram was sent to, as the kernel answers for its own
                sendIcmpError(pipeline, in.port(), quote, l3, Icmp4.TYPE_TIME_EXCEEDED, 1, Ipv4.dst(quote, l3), now);
            }
            quote.release();
        });
        neighbors.tick(now, new NeighborTable.Actions() {
            @Override
            public void sendRequest(int iface, int ip) {
                RouterInterface i = interfaces[iface];
                pipeline.inject(i.port(), i.output(), arpRequest(pipeline::allocate, i, ip));
            }

            @Override
            public void unresolved(int iface, int ip, ByteBuf frame) {
                RouterInterface i = interfaces[iface];
                i.port().counters().drop(DropReason.NEIGHBOR_UNRESOLVED);
                int l3 = frame.readerIndex() + Ethernet.HEADER_LEN;
                // RFC 1812 4.3.3.1: host unreachable for a next hop that does not answer.
                sendIcmpError(pipeline, i.port(), frame, l3, Icmp4.TYPE_DEST_UNREACHABLE, 1, i.primaryAddress(), now);
                frame.release();
            }
        });
    }
}
