package dev.vnet.dataplane.api;

import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.l3.Router;
import dev.vnet.dataplane.l3.RouterInterface;
import dev.vnet.dataplane.l3.RouterLimits;
import dev.vnet.dataplane.pipeline.Attachments;
import dev.vnet.dataplane.pipeline.Pipeline;
import dev.vnet.dataplane.port.MemoryPort;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.port.TapOptions;
import dev.vnet.dataplane.port.TapPort;
import dev.vnet.dataplane.trace.Capture;
import dev.vnet.dataplane.trace.CaptureFilter;
import dev.vnet.dataplane.trace.DecisionTrace;
import dev.vnet.dataplane.util.Clock;
import dev.vnet.dataplane.wire.IpAddress;
import dev.vnet.dataplane.wire.IpPrefix;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import dev.vnet.dataplane.wire.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import dev.vnet.dataplane.loop.LoopThread;
import dev.vnet.dataplane.loop.Loops;
import dev.vnet.dataplane.loop.PollMode;
import io.netty.channel.epoll.Epoll;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The dataplane as the control plane sees it: build bridges, add and remove ports, read tables and counters.
 *
 * <p>Frames are forwarded by one or more Netty epoll event loops ({@link Loops}), each with its own
 * {@link Pipeline} and its own queue of every TAP port. Every method here hands its work to the loops' barrier and
 * waits: it runs on loop 0 while the other loops are parked between read batches, so it never races a frame and
 * readers get a consistent snapshot. Nothing here is on the per-frame path. Control never reaches into stages or
 * tables directly.
 *
 * <p>This class keeps the lifecycle (loops, timers, close), the registries and the ports; the other jobs are split
 * off by kind, each a package-private class this one delegates to: {@link BridgeConfig} (bridges, static FDB
 * entries), {@link RouterConfig} (gateways, uplinks, routes, NAT rules), {@link CaptureControl} (captures and
 * decision traces), {@link DataplaneViews} (tables and counters as records) and {@link DataplaneTimers} (aging and
 * the router's tick).
 */
public final class Dataplane implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dataplane.class);
    static final long CALL_TIMEOUT_SECONDS = 30;

    // Package-private: the jobs split off this class (see above) use them, at the barrier.
    final Loops loops;
    private final PollMode poll;
    final Pipeline[] pipelines; // one per loop
    final Pipeline pipeline; // loop 0's: memory ports and timers use it
    final dev.vnet.dataplane.port.FrameSink[] tapSinks; // the pipelines, or a test's fault hook around them
    final Clock clock;
    final ByteBufAllocator allocator;
    final Map<String, Bridge> bridges = new LinkedHashMap<>();
    final Map<String, Port> ports = new LinkedHashMap<>();
    final Map<Port, Bridge> membership = new LinkedHashMap<>();
    final Map<String, RouterInterface> routerInterfaces = new LinkedHashMap<>();
    final Router router;
    final Attachments attachments; // each port's stages and captures, for every loop's pipeline
    private final DataplaneViews views = new DataplaneViews(this);
    private final CaptureControl captureControl = new CaptureControl(this);
    private final RouterConfig routerConfig = new RouterConfig(this);
    private final NatConfig natConfig = new NatConfig(this, routerConfig);
    private final BridgeConfig bridgeConfig = new BridgeConfig(this);
    private final VxlanConfig vxlanConfig = new VxlanConfig(this);
    final TapPorts taps = new TapPorts(this);
    private final DataplaneTimers timers = new DataplaneTimers(this);
    private int nextPortId = 1;
    private boolean closed;

    /** Starts a dataplane on the system clock and Netty's pooled allocator. */
    public static Dataplane start() {
        return start(Clock.SYSTEM, PooledByteBufAllocator.DEFAULT);
    }

    /** Starts a dataplane whose tables age against {@code clock}, reading frames into buffers from {@code allocator}. */
    public static Dataplane start(Clock clock, ByteBufAllocator allocator) {
        return start(clock, allocator, RouterLimits.defaults());
    }

    /** As {@link #start(Clock, ByteBufAllocator)}, with the router's table bounds and timeouts from {@code limits}. */
    public static Dataplane start(Clock clock, ByteBufAllocator allocator, RouterLimits limits) {
        return start(clock, allocator, limits, PollMode.SLEEP, 1);
    }

    /**
     * As {@link #start(Clock, ByteBufAllocator, RouterLimits)} with {@code loops} event loops, each on a thread of its
     * own and waiting for frames as {@code poll} says: TAP ports get one queue per loop (multi-queue TAPs when there
     * are several) and the kernel spreads flows over them. {@link #defaultLoops()} is one per core.
     */
    public static Dataplane start(Clock clock, ByteBufAllocator allocator, RouterLimits limits, PollMode poll,
                                  int loops) {
        Epoll.ensureAvailability();
        Attachments attachments = new Attachments();
        return new Dataplane(clock, allocator, new Router(limits, attachments), attachments, true, poll, loops);
    }

    /** One loop per core the JVM may use, at most {@link LoopThread#MAX_LOOPS}. */
    public static int defaultLoops() {
        return Math.min(Runtime.getRuntime().availableProcessors(), LoopThread.MAX_LOOPS);
    }

    /**
     * A dataplane for offline work (replaying a capture): its timers run only when the caller says so with
     * {@link #runTimers}, after moving {@code clock}, the timestamps it writes into IP options are read from
     * {@code clock} too, and NAT draws its ports from a generator seeded with {@code seed}, so the same input gives
     * the same output. Only in-memory ports make sense on it.
     */
    public static Dataplane startOffline(Clock clock, RouterLimits limits, long seed) {
        Epoll.ensureAvailability();
        Attachments attachments = new Attachments();
        Router router = new Router(limits, new java.util.SplittableRandom(seed), attachments);
        router.setWallClock(() -> clock.nanos() / 1_000_000); // IP timestamp options too follow the given clock
        return new Dataplane(clock, PooledByteBufAllocator.DEFAULT, router, attachments, false, PollMode.SLEEP, 1);
    }

    private Dataplane(Clock clock, ByteBufAllocator allocator, Router router, Attachments attachments, boolean timers,
                      PollMode poll, int loopCount) {
        this.clock = clock;
        this.allocator = allocator;
        this.router = router;
        this.attachments = attachments;
        this.loops = new Loops(loopCount, poll, "vnet-dataplane");
        this.poll = poll;
        this.pipelines = new Pipeline[loopCount];
        for (int i = 0; i < loopCount; i++) {
            pipelines[i] = new Pipeline(clock, attachments);
            pipelines[i].onLoopFailure(loops::failed);
        }
        this.pipeline = pipelines[0];
        this.tapSinks = dev.vnet.dataplane.port.FaultInjectingSink.wrapIfAsked(pipelines);
        if (timers) {
            this.timers.schedule();
        }
        if (loopCount > 1) {
            log.info("{} event loops forward frames (multi-queue TAPs, one queue per loop)", loopCount);
        }
    }

    /**
     * Sets what happens when an event loop fails (an {@code Error} on it, or its thread ended): the failure is
     * always logged as an error first; {@code handler} then gets what was thrown, possibly more than once and from
     * any thread, and must not call this dataplane's methods on that thread (they wait for the loops). {@code vnet up}
     * removes what it created and exits non-zero.
     */
    public void onLoopFailure(java.util.function.Consumer<Throwable> handler) {
        loops.onFailure(handler);
    }

    /** The number of event loops forwarding frames. */
    public int loopCount() {
        return loops.count();
    }

    /** How the event loops wait for frames. */
    public PollMode pollMode() {
        return poll;
    }

    /** Runs the periodic work now (table aging, ARP retries): for an offline dataplane after its clock moved. */
    public void runTimers() {
        call(() -> {
            timers.runNow();
            return null;
        });
    }

    /** Runs {@code task} at the loops' barrier (on loop 0, the other loops parked) and returns its result. */
    <T> T call(Callable<T> task) {
        return loops.call(task, CALL_TIMEOUT_SECONDS);
    }

    /** Creates bridge {@code name}. */
    public void addBridge(String name, BridgeOptions options) {
        bridgeConfig.addBridge(name, options);
    }

    /**
     * Creates TAP {@code interfaceName} (in this process's namespace), a port named {@code portName} on it, and
     * attaches it to {@code bridge}. Nothing is left behind when this throws.
     */
    public void addTapPort(String portName, String interfaceName, String bridge, TapOptions options) throws IOException {
        taps.addTapPort(portName, interfaceName, bridge, options);
    }

    /**
     * Extends {@code bridge} over VXLAN: a tunnel port per remote VTEP (on the flood list, or behind a static MAC),
     * through vnet's VTEP on {@code options}' local address and port (opened on first use, shared by every VNI on the
     * port). Nothing is left behind when this throws.
     */
    public void addVxlan(String bridge, VxlanOptions options) throws IOException {
        vxlanConfig.addVxlan(bridge, options);
    }

    /** Creates an in-memory port attached to {@code bridge}; inject into it with {@link #inject}. */
    public MemoryPort addMemoryPort(String portName, String bridge) {
        return call(() -> {
            checkOpen();
            checkNewPort(portName);
            Bridge b = requireBridge(bridge);
            MemoryPort port = MemoryPort.onLoops(nextPortId(), portName, pipelines);
            ports.put(portName, port);
            b.attach(port);
            membership.put(port, b);
            return port;
        });
    }

    /** Delivers {@code frame} to in-memory port {@code portName} on the loop, as one read batch; takes ownership. */
    public void inject(String portName, ByteBuf frame) {
        try {
            call(() -> {
                memoryPort(portName).inject(frame);
                return null;
            });
        } catch (RuntimeException e) {
            if (frame.refCnt() > 0 && !(e instanceof IllegalStateException)) {
                frame.release();
            }
            throw e;
        }
    }

    /**
     * Runs {@code task} on loop {@code loop} between its read batches, without the barrier: an in-memory port's
     * {@link MemoryPort#inject} from there is processed by that loop, alongside the others (for tests of several
     * loops at once). The task must not call this class's other methods, which wait for the barrier.
     */
    public io.netty.util.concurrent.Future<?> executeOnLoop(int loop, Runnable task) {
        return loops.loop(loop).submit(task);
    }

    /** Takes every frame in-memory port {@code portName} has sent; the caller releases them. */
    public List<ByteBuf> drainSent(String portName) {
        return call(() -> memoryPort(portName).drain());
    }

    private MemoryPort memoryPort(String name) {
        if (!(ports.get(name) instanceof MemoryPort mp)) {
            throw new IllegalArgumentException("no in-memory port '" + name + "'");
        }
        return mp;
    }

    /** Detaches and closes port {@code portName} (its TAP disappears); false if there is no such port. */
    public boolean removePort(String portName) {
        Port removed = call(() -> {
            Port p = ports.remove(portName);
            if (p == null) {
                return null;
            }
            detachAndClose(p);
            log.info("port {} removed", portName);
            return p;
        });
        if (removed instanceof TapPort t) {
            TapPorts.waitClosed(t);
        }
        return removed != null;
    }

    void detachAndClose(Port p) {
        Bridge b = membership.remove(p);
        if (b != null) {
            b.detach(p);
        }
        attachments.forget(p);
        p.close();
    }

    /**
     * Gives bridge {@code bridge} the router address {@code address} (e.g. 192.168.15.5/24): the first one creates
     * the router's interface on the bridge, with a MAC of its own; later ones add addresses to it.
     */
    public void addGateway(String bridge, Ipv4Cidr address, int mtu) {
        routerConfig.addGateway(bridge, address, mtu);
    }

    /**
     * Gives the router IPv6 {@code address} on {@code bridge} (its interface there made with MTU {@code mtu} if it has
     * none yet, with its link-local address): it answers neighbour discovery and pings for it, advertises its prefix
     * and routes to it.
     */
    public void addGateway6(String bridge, Ipv6Cidr address, int mtu) {
        routerConfig.addGateway6(bridge, address, mtu);
    }

    /** Gives router interface {@code interfaceName} (an uplink's or a bridge's) IPv6 {@code address} too. */
    public void addAddress6(String interfaceName, Ipv6Cidr address) {
        routerConfig.addAddress6(interfaceName, address);
    }

    /** The recursive DNS servers the router's advertisements on {@code bridge} name (RFC 8106). */
    public void setDnsServers(String bridge, List<Ipv6Address> servers) {
        routerConfig.setDnsServers(bridge, servers);
    }

    /** Turns the router's advertisements on {@code bridge} (on once it has an IPv6 gateway address) on or off. */
    public void setRouterAdvertisements(String bridge, boolean on) {
        routerConfig.setRouterAdvertisements(bridge, on);
    }

    /** Makes the policy decide the connections {@code bridge} (with a gateway) switches between its ports, or not. */
    public void filterSwitched(String bridge, boolean on) {
        routerConfig.filterSwitched(bridge, on);
    }

    /**
     * Creates TAP {@code interfaceName} as a routed uplink port named {@code portName} with router address
     * {@code address}: the far side of the TAP is another network (a namespace of hosts), reached through the router.
     */
    public void addUplinkPort(String portName, String interfaceName, Ipv4Cidr address, TapOptions options)
            throws IOException {
        routerConfig.addUplinkPort(portName, interfaceName, address, options);
    }

    /** As {@link #addUplinkPort}, on an in-memory port (for offline replay and tests). */
    public MemoryPort addUplinkMemoryPort(String portName, Ipv4Cidr address, int mtu) {
        return routerConfig.addUplinkMemoryPort(portName, address, mtu);
    }

    /** Adds a static route (IPv4 or IPv6) to {@code to} via {@code gateway}, on one of the router's subnets. */
    public void addRoute(IpPrefix to, IpAddress gateway) {
        routerConfig.addRoute(to, gateway);
    }

    /**
     * MASQUERADE (IPv4, or NAT66 for an IPv6 {@code source}): connections from {@code source} leaving by router
     * interface {@code outInterface} (an uplink port's name, or a bridge's) take that interface's address as source.
     */
    public void addMasquerade(IpPrefix source, String outInterface) {
        natConfig.addMasquerade(source, outInterface);
    }

    /**
     * A port forward (DNAT): new connections of {@code protocol} to router interface {@code onInterface}'s address
     * of {@code target}'s family, ports {@code portLow..portHigh}, go to address {@code target}, port
     * {@code targetPort} onward. Returns how it reads, e.g. {@code tcp 192.168.1.2:80 -> 192.168.15.2:80}.
     */
    public List<String> addPortForward(ForwardProtocol protocol, String onInterface, int portLow, int portHigh,
                                       IpAddress target, int targetPort) {
        return natConfig.addPortForward(protocol, onInterface, portLow, portHigh, target, targetPort);
    }

    /**
     * Removes the port forwards of {@code protocol} on {@code onInterface} starting at {@code portLow}, of both
     * families; returns what was removed (empty when there was nothing). Connections they made live on until they
     * expire, as with netfilter.
     */
    public List<String> removePortForward(ForwardProtocol protocol, String onInterface, int portLow) {
        return natConfig.removePortForward(protocol, onInterface, portLow);
    }

    /** Replaces the router's filter (rules in order, the default action); connections already made keep going. */
    public void setPolicy(List<PolicyRule> rules, dev.vnet.dataplane.filter.FilterRule.Action defaultAction) {
        natConfig.setPolicy(rules, defaultAction);
    }

    /** Forgets every tracked connection ({@code conntrack -F}): their next packets are new ones; returns how many. */
    public int flushConnections() {
        return call(() -> router.conntrack().flush());
    }

    /** The filter's rules with their counters, in order, then the default (number 0). */
    public List<PolicyEntry> policy() {
        return natConfig.policy();
    }

    /** Removes the static route to {@code to}; false if there is none (connected routes cannot be removed). */
    public boolean removeRoute(IpPrefix to) {
        return routerConfig.removeRoute(to);
    }

    /** Removes the FDB entry for {@code mac} on {@code bridge}; false if there is none. */
    public boolean removeFdb(String bridge, MacAddress mac) {
        return bridgeConfig.removeFdb(bridge, mac);
    }

    /** The tracked connections. */
    public List<ConnectionEntry> connections() {
        return views.connections();
    }

    /** The NAT rules, each as it reads (MASQUERADE rules name their interface). */
    public List<String> natRules() {
        return views.natRules();
    }

    /** The port forwards, each as it reads, e.g. {@code tcp 192.168.1.2:80 -> 192.168.15.2:80}. */
    public List<String> portForwardRules() {
        return views.portForwardRules();
    }

    /**
     * Starts a capture on {@code portNames} ("all" or an empty list: every port) of the directions in {@code mask}
     * ({@link Capture#IN}, {@link Capture#OUT}, {@link Capture#DROPS}), through {@code filter}. Unknown port names
     * are refused before anything is hooked. The caller drains it and ends it with {@link #stopCapture}.
     */
    public Capture startCapture(List<String> portNames, int mask, CaptureFilter filter, int slots, int snapLength) {
        return captureControl.startCapture(portNames, mask, filter, slots, snapLength);
    }

    /** Ends capture {@code c}: unhooked from every port, its filter freed. Idempotent. */
    public void stopCapture(Capture c) {
        captureControl.stopCapture(c);
    }

    /** Starts tracing the decisions for the next {@code count} frames {@code filter} takes; one trace at a time. */
    public DecisionTrace startTrace(CaptureFilter filter, long count) {
        return captureControl.startTrace(filter, count);
    }

    /** Ends decision trace {@code t}; idempotent. */
    public void stopTrace(DecisionTrace t) {
        captureControl.stopTrace(t);
    }

    /**
     * Running captures with their counters ({@code state} "running", or "failed" with the {@code error} for one that
     * failed and awaits its reader's stop), then the last captures that ended because they failed.
     */
    public List<CaptureEntry> captures() {
        return captureControl.captures();
    }

    /** The port forwards, each on the router interface that owns its address. */
    public List<ForwardEntry> portForwards() {
        return views.portForwards();
    }

    /**
     * Connection table counters: entries, bound, created, expired, unreplied ones given up for new ones in a full
     * table, new ones refused because full.
     */
    public Map<String, Long> conntrackCounters() {
        return views.conntrackCounters();
    }

    /** The router's neighbor (ARP) table. */
    public List<NeighborEntry> neighbors() {
        return views.neighbors();
    }

    /** The router's routes, longest prefixes first. */
    public List<RouteEntry> routes() {
        return views.routes();
    }

    /** The MAC of every router interface: frames sent from one of these are the router's own. */
    public java.util.Set<Long> routerMacs() {
        return views.routerMacs();
    }

    /** Adds a static FDB entry on {@code bridge} pointing at {@code portName}. */
    public void addStaticFdb(String bridge, MacAddress mac, String portName) {
        bridgeConfig.addStaticFdb(bridge, mac, portName);
    }

    /** The forwarding database of {@code bridge}, entries that have not aged out. */
    public List<FdbEntry> fdb(String bridge) {
        return views.fdb(bridge);
    }

    /** Counters of the bridge's table: learned, moves, limit hits, aged, current size. */
    public Map<String, Long> fdbCounters(String bridge) {
        return views.fdbCounters(bridge);
    }

    /** Every port's counters. */
    public List<PortStats> portStats() {
        return views.portStats();
    }

    /**
     * Pipeline totals over every loop: received, forwarded, flooded, dropped, consumed, local, injected, and
     * software-offloads (frames segmented or checksummed in software for a port without offloads).
     */
    public Map<String, Long> pipelineCounters() {
        return views.pipelineCounters();
    }

    /**
     * The router's own counters: icmp-errors-suppressed (ICMP errors not sent because of the rate limit),
     * icmp-redirects-sent (hosts told of a better first hop),
     * fragments-held (fragments that overtook their datagram's first and waited for it), fragments-waiting (held now),
     * reassemblies (fragmented datagrams to the router being put back together now).
     */
    public Map<String, Long> routerCounters() {
        return views.routerCounters();
    }

    /** Frames each event loop's pipeline received (index = loop), to see how the kernel spread the load. */
    public List<Long> loopReceived() {
        return views.loopReceived();
    }

    /** Names of the bridges, in the order they were added. */
    public List<String> bridgeNames() {
        return views.bridgeNames();
    }

    /** Names of the ports, in the order they were added. */
    public List<String> portNames() {
        return views.portNames();
    }

    synchronized int nextPortId() {
        return nextPortId++;
    }

    Bridge requireBridge(String name) {
        Bridge b = bridges.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no bridge '" + name + "'");
        }
        return b;
    }

    void checkNewPort(String name) {
        if (ports.containsKey(name)) {
            throw new IllegalArgumentException("port '" + name + "' already exists");
        }
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the dataplane is closed");
        }
    }

    /** Closes every port (their TAPs disappear) and stops the event loop. Idempotent. */
    @Override
    public void close() {
        List<TapPort> taps = new ArrayList<>();
        if (!loops.isShuttingDown()) {
            try {
                closeAtBarrier(taps);
            } catch (RuntimeException e) {
                // A failed loop cannot stop for the barrier: close the ports from here, so the TAPs still vanish.
                log.warn("closing the dataplane at the barrier failed ({}); closing its ports directly",
                        e.getMessage());
                for (Port p : new ArrayList<>(ports.values())) {
                    try {
                        p.close();
                    } catch (RuntimeException ignored) {
                        // best effort: the descriptors close with the process at the latest
                    }
                }
                taps.clear();
            }
        }
        taps.forEach(TapPorts::waitClosed);
        loops.shutdown();
    }

    private void closeAtBarrier(List<TapPort> taps) {
        call(() -> {
            closed = true;
            timers.cancel();
            for (Port p : new ArrayList<>(ports.values())) {
                detachAndClose(p);
                if (p instanceof TapPort t) {
                    taps.add(t);
                }
            }
            ports.clear();
            vxlanConfig.clear();
            router.neighbors().clear();
            router.neighbors6().clear();
            router.releaseHeldFragments();
            captureControl.closeAll();
            return null;
        });
    }
}
