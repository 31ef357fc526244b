package dev.vnet.dataplane.api;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.l3.NeighborTable;
import dev.vnet.dataplane.l3.Router;
import dev.vnet.dataplane.l3.RouterLimits;
import dev.vnet.dataplane.l3.RouterInterface;
import dev.vnet.dataplane.l3.RouterPort;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.pipeline.Pipeline;
import dev.vnet.dataplane.port.MemoryPort;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.port.PortCounters;
import dev.vnet.dataplane.port.TapOptions;
import dev.vnet.dataplane.port.TapPort;
import dev.vnet.dataplane.trace.Capture;
import dev.vnet.dataplane.trace.CaptureFilter;
import dev.vnet.dataplane.trace.DecisionTrace;
import dev.vnet.dataplane.util.Clock;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import dev.vnet.dataplane.loop.LoopThread;
import dev.vnet.dataplane.loop.Loops;
import dev.vnet.dataplane.loop.PollMode;
import io.netty.channel.epoll.Epoll;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The dataplane as the control plane sees it: build bridges, add and remove ports, read tables and counters.
 *
 * <p>Frames are forwarded by one or more Netty epoll event loops ({@link Loops}), each with its own
 * {@link Pipeline} and its own queue of every TAP port. Every method here hands its work to the loops' barrier and
 * waits: it runs on loop 0 while the other loops are parked between read batches, so it never races a frame and
 * readers get a consistent snapshot. Nothing here is on the per-frame path. Control never reaches into stages or
 * tables directly.
 */
public final class Dataplane implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Dataplane.class);
    private static final long CALL_TIMEOUT_SECONDS = 30;

    private final Loops loops;
    private final PollMode poll;
    private final Pipeline[] pipelines; // one per loop
    private final Pipeline pipeline; // loop 0's: memory ports and timers use it
    private final dev.vnet.dataplane.port.FrameSink[] tapSinks; // the pipelines, or a test's fault hook around them
    private final Clock clock;
    private final ByteBufAllocator allocator;
    private final Map<String, Bridge> bridges = new LinkedHashMap<>();
    private final Map<String, Port> ports = new LinkedHashMap<>();
    private final Map<Capture, List<Port>> captures = new LinkedHashMap<>();
    /** Captures that ended because they failed, newest last, at most {@link #FAILED_CAPTURES_KEPT}: still listed. */
    private final java.util.ArrayDeque<Map<String, Object>> failedCaptures = new java.util.ArrayDeque<>();
    private static final int FAILED_CAPTURES_KEPT = 16;
    private int nextCaptureId = 1;
    private final Map<Port, Bridge> membership = new LinkedHashMap<>();
    private final Map<String, RouterInterface> routerInterfaces = new LinkedHashMap<>();
    private final Router router;
    private final ScheduledFuture<?> agingTask;
    private final ScheduledFuture<?> routerTask;
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
        return new Dataplane(clock, allocator, new Router(limits), true, poll, loops);
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
        Router router = new Router(limits, new java.util.SplittableRandom(seed));
        router.setWallClock(() -> clock.nanos() / 1_000_000); // IP timestamp options too follow the given clock
        return new Dataplane(clock, PooledByteBufAllocator.DEFAULT, router, false, PollMode.SLEEP, 1);
    }

    private Dataplane(Clock clock, ByteBufAllocator allocator, Router router, boolean timers, PollMode poll,
                      int loopCount) {
        this.clock = clock;
        this.allocator = allocator;
        this.router = router;
        this.loops = new Loops(loopCount, poll, "vnet-dataplane");
        this.poll = poll;
        this.pipelines = new Pipeline[loopCount];
        for (int i = 0; i < loopCount; i++) {
            pipelines[i] = new Pipeline(clock);
            pipelines[i].onLoopFailure(loops::failed);
        }
        this.pipeline = pipelines[0];
        this.tapSinks = dev.vnet.dataplane.port.FaultInjectingSink.wrapIfAsked(pipelines);
        // Aging removes table entries and the router's tick sends and fails ARP: both at the barrier.
        this.agingTask = timers ? loops.scheduleAtBarrier(this::expireTables, 1, TimeUnit.SECONDS) : null;
        this.routerTask = timers ? loops.scheduleAtBarrier(this::routerTick, 200, TimeUnit.MILLISECONDS) : null;
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
            expireTables();
            routerTick();
            return null;
        });
    }

    private void routerTick() {
        pipeline.beginBatch();
        try {
            router.tick(pipeline.now(), pipeline);
        } finally {
            pipeline.endBatch();
        }
    }

    private void expireTables() {
        long now = clock.nanos();
        for (Bridge b : bridges.values()) {
            b.table().expire(now);
        }
        router.conntrack().expire(now);
    }

    /** Runs {@code task} at the loops' barrier (on loop 0, the other loops parked) and returns its result. */
    private <T> T call(Callable<T> task) {
        return loops.call(task, CALL_TIMEOUT_SECONDS);
    }

    /** Creates bridge {@code name}. */
    public void addBridge(String name, BridgeOptions options) {
        call(() -> {
            checkOpen();
            if (bridges.containsKey(name)) {
                throw new IllegalArgumentException("bridge '" + name + "' already exists");
            }
            bridges.put(name, new Bridge(name, options.fdbMaxEntries(), options.agingNanos()));
            log.info("bridge {} created (fdb bound {}, aging {} s)", name, options.fdbMaxEntries(),
                    TimeUnit.NANOSECONDS.toSeconds(options.agingNanos()));
            return null;
        });
    }

    /**
     * Creates TAP {@code interfaceName} (in this process's namespace), a port named {@code portName} on it, and
     * attaches it to {@code bridge}. Nothing is left behind when this throws.
     */
    public void addTapPort(String portName, String interfaceName, String bridge, TapOptions options) throws IOException {
        Bridge b = call(() -> {
            checkOpen();
            checkNewPort(portName);
            return requireBridge(bridge);
        });
        TapPort port = TapPort.open(nextPortId(), portName, interfaceName, options, tapSinks, allocator);
        try {
            port.register(loops.all()).get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            closeAndWait(port);
            throw new IOException("cannot register TAP " + interfaceName + " with the event loop: " + e.getMessage(), e);
        }
        port.onFailure(this::portFailed);
        call(() -> {
            ports.put(portName, port);
            b.attach(port);
            membership.put(port, b);
            log.info("port {} (tap {}) attached to bridge {}", portName, port.interfaceName(), bridge);
            return null;
        });
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
                Port p = ports.get(portName);
                if (!(p instanceof MemoryPort mp)) {
                    throw new IllegalArgumentException("no in-memory port '" + portName + "'");
                }
                mp.inject(frame);
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
        return call(() -> {
            Port p = ports.get(portName);
            if (!(p instanceof MemoryPort mp)) {
                throw new IllegalArgumentException("no in-memory port '" + portName + "'");
            }
            return mp.drain();
        });
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
            waitClosed(t);
        }
        return removed != null;
    }

    /** Closes {@code port} at the barrier and waits until every queue is closed (its TAP is gone). */
    private void closeAndWait(TapPort port) {
        call(() -> {
            port.close();
            return null;
        });
        waitClosed(port);
    }

    private static void waitClosed(TapPort port) {
        try {
            port.closedFuture().get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("port {}: its queues did not close within {} s: {}", port.name(), CALL_TIMEOUT_SECONDS,
                    e.toString());
        }
    }

    private void detachAndClose(Port p) {
        Bridge b = membership.remove(p);
        if (b != null) {
            b.detach(p);
        }
        p.close();
    }

    private void portFailed(TapPort port, String why) {
        // Runs on the loop of the queue that saw the device vanish (its namespace was deleted): the port goes, the
        // others stay. Removal changes what every loop reads, so it waits for the barrier; each queue of the port
        // reports, only the first removes it.
        loops.executeAtBarrier(() -> {
            if (ports.get(port.name()) == port) {
                ports.remove(port.name());
                detachAndClose(port);
                log.warn("port {} removed: {}", port.name(), why);
            }
        });
    }

    /**
     * Gives bridge {@code bridge} the router address {@code cidr} (e.g. 192.168.15.5/24): the first one creates the
     * router's interface on the bridge, with a MAC of its own; later ones add addresses to it.
     */
    public void addGateway(String bridge, String cidr, int mtu) {
        Ipv4Cidr c = Ipv4Cidr.parse(cidr);
        call(() -> {
            checkOpen();
            Bridge b = requireBridge(bridge);
            RouterInterface iface = routerInterfaces.get(bridge);
            if (iface == null) {
                RouterPort port = new RouterPort(nextPortId(), "gw:" + bridge);
                iface = router.addBridgeInterface(b, port, MacAddr.derived(port.name()), mtu);
                routerInterfaces.put(bridge, iface);
                ports.put(port.name(), port);
                membership.put(port, b);
            }
            router.addAddress(iface, c.address(), c.prefixLength());
            log.info("gateway {} on bridge {} (router MAC {})", cidr, bridge, MacAddr.toString(iface.mac()));
            return null;
        });
    }

    /**
     * Creates TAP {@code interfaceName} as a routed uplink port named {@code portName} with router address
     * {@code cidr}: the far side of the TAP is another network (a namespace of hosts), reached through the router.
     */
    public void addUplinkPort(String portName, String interfaceName, String cidr, TapOptions options)
            throws IOException {
        Ipv4Cidr c = checkNewUplink(portName, cidr);
        TapPort port = TapPort.open(nextPortId(), portName, interfaceName, options, tapSinks, allocator);
        try {
            call(() -> {
                addUplinkInterface(port, c, options.mtu());
                return null;
            });
            port.register(loops.all()).get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            call(() -> {
                ports.remove(portName);
                return null;
            });
            closeAndWait(port);
            throw new IOException("cannot set up uplink " + portName + ": " + e.getMessage(), e);
        }
        port.onFailure(this::portFailed);
        log.info("uplink {} (tap {}) with router address {}", portName, port.interfaceName(), cidr);
    }

    /** As {@link #addUplinkPort}, on an in-memory port (for offline replay and tests). */
    public MemoryPort addUplinkMemoryPort(String portName, String cidr, int mtu) {
        Ipv4Cidr c = checkNewUplink(portName, cidr);
        return call(() -> {
            MemoryPort port = MemoryPort.onLoops(nextPortId(), portName, pipelines);
            addUplinkInterface(port, c, mtu);
            return port;
        });
    }

    private Ipv4Cidr checkNewUplink(String portName, String cidr) {
        Ipv4Cidr c = Ipv4Cidr.parse(cidr);
        call(() -> {
            checkOpen();
            checkNewPort(portName);
            if (router.isLocal(c.address())) {
                throw new IllegalArgumentException("address " + cidr + " is already the router's");
            }
            return null;
        });
        return c;
    }

    private void addUplinkInterface(Port port, Ipv4Cidr c, int mtu) {
        RouterInterface iface = router.addPortInterface(port.name(), port, MacAddr.derived(port.name()), mtu);
        router.addAddress(iface, c.address(), c.prefixLength());
        routerInterfaces.put(port.name(), iface);
        ports.put(port.name(), port);
    }

    /** Adds a static route to {@code cidr} via {@code gateway}, which must be on one of the router's subnets. */
    public void addRoute(String cidr, String gateway) {
        Ipv4Cidr c = Ipv4Cidr.parse(cidr);
        int gw = Ipv4Addr.parse(gateway);
        call(() -> {
            router.addRoute(c.address() & Ipv4Addr.mask(c.prefixLength()), c.prefixLength(), gw);
            log.info("route {} via {}", cidr, gateway);
            return null;
        });
    }

    /**
     * MASQUERADE: connections from {@code sourceCidr} leaving by router interface {@code outInterface} (an uplink
     * port's name, or a bridge's) take that interface's address as source.
     */
    public void addMasquerade(String sourceCidr, String outInterface) {
        Ipv4Cidr c = Ipv4Cidr.parse(sourceCidr);
        call(() -> {
            RouterInterface out = requireInterface(outInterface);
            router.natRules().add(new dev.vnet.dataplane.nat.NatRules.Masquerade(c.network(), c.prefixLength(),
                    out.index()));
            log.info("masquerade {} out of {}", sourceCidr, outInterface);
            return null;
        });
    }

    /**
     * A port forward (DNAT): new connections of {@code protocol} ("tcp", "udp" or "both") to router interface
     * {@code onInterface}'s address, ports {@code portLow..portHigh}, go to {@code target}, port {@code targetPort}
     * onward. Returns how it reads, e.g. {@code tcp 192.168.1.2:80 -> 192.168.15.2:80}.
     */
    public List<String> addPortForward(String protocol, String onInterface, int portLow, int portHigh, String target,
                                       int targetPort) {
        int targetAddress = Ipv4Addr.parse(target);
        List<Integer> protocols = protocolsOf(protocol);
        return call(() -> {
            RouterInterface on = requireInterface(onInterface);
            List<String> added = new ArrayList<>();
            for (int p : protocols) {
                var rule = new dev.vnet.dataplane.nat.NatRules.PortForward(p, on.primaryAddress(), portLow, portHigh,
                        targetAddress, targetPort);
                router.natRules().add(rule);
                added.add(dev.vnet.dataplane.nat.NatRules.describe(rule));
            }
            log.info("port forward {}", added);
            return added;
        });
    }

    /**
     * Removes the port forward of {@code protocol} ("tcp", "udp" or "both") on {@code onInterface} starting at
     * {@code portLow}; returns what was removed (empty when there was nothing). Connections it made live on until
     * they expire, as with netfilter.
     */
    public List<String> removePortForward(String protocol, String onInterface, int portLow) {
        List<Integer> protocols = protocolsOf(protocol);
        return call(() -> {
            RouterInterface on = requireInterface(onInterface);
            List<String> removed = new ArrayList<>();
            for (var f : router.natRules().portForwards()) {
                if (protocols.contains(f.protocol()) && f.address() == on.primaryAddress() && f.portLow() == portLow
                        && router.natRules().remove(f)) {
                    removed.add(dev.vnet.dataplane.nat.NatRules.describe(f));
                }
            }
            if (!removed.isEmpty()) {
                log.info("port forward removed: {}", removed);
            }
            return removed;
        });
    }

    /** Removes the static route to {@code cidr}; false if there is none (connected routes cannot be removed). */
    public boolean removeRoute(String cidr) {
        Ipv4Cidr c = Ipv4Cidr.parse(cidr);
        return call(() -> {
            int id = router.routes().lookup(c.network());
            if (id == dev.vnet.dataplane.l3.RouteTable.NO_ROUTE || router.routes().lengthOf(id) != c.prefixLength()
                    || router.routes().networkOf(id) != c.network()) {
                return false;
            }
            if (router.routes().gatewayOf(id) == 0) {
                throw new IllegalArgumentException("route " + cidr + " is connected (an interface address): remove "
                        + "the address instead");
            }
            router.routes().remove(c.network(), c.prefixLength());
            log.info("route {} removed", cidr);
            return true;
        });
    }

    /** Removes the FDB entry for {@code mac} on {@code bridge}; false if there is none. */
    public boolean removeFdb(String bridge, String mac) {
        long address = MacAddr.parse(mac);
        return call(() -> {
            boolean removed = requireBridge(bridge).table().remove(address);
            if (removed) {
                log.info("fdb entry {} on {} removed", mac, bridge);
            }
            return removed;
        });
    }

    /** IP protocol numbers of "tcp", "udp" or "both". */
    private static List<Integer> protocolsOf(String protocol) {
        return switch (protocol) {
            case "tcp" -> List.of(6);
            case "udp" -> List.of(17);
            case "both" -> List.of(6, 17);
            default -> throw new IllegalArgumentException("protocol '" + protocol + "' is not tcp, udp or both");
        };
    }

    private RouterInterface requireInterface(String name) {
        RouterInterface i = routerInterfaces.get(name);
        if (i == null) {
            throw new IllegalArgumentException("no router interface '" + name + "' (known: "
                    + String.join(", ", routerInterfaces.keySet()) + ")");
        }
        return i;
    }

    /** The tracked connections. */
    public List<ConnectionEntry> connections() {
        return call(() -> {
            long now = clock.nanos();
            var table = router.conntrack();
            List<ConnectionEntry> out = new ArrayList<>();
            table.forEach(now, id -> {
                long oHi = table.origHi(id);
                long oLo = table.origLo(id);
                int protocol = dev.vnet.dataplane.conntrack.FlowKey.protocol(oLo);
                String state = protocol == 6 ? dev.vnet.dataplane.conntrack.TcpState.of(table.state(id)).name()
                        : (table.flags(id) & dev.vnet.dataplane.conntrack.ConnTable.FLAG_REPLIED) != 0 ? "REPLIED"
                        : "UNREPLIED";
                String o = dev.vnet.dataplane.conntrack.FlowKey.toString(oHi, oLo);
                String r = dev.vnet.dataplane.conntrack.FlowKey.toString(table.replyHi(id), table.replyLo(id));
                out.add(new ConnectionEntry(o.substring(0, o.indexOf(' ')), o.substring(o.indexOf(' ') + 1),
                        r.substring(r.indexOf(' ') + 1), state, TimeUnit.NANOSECONDS.toSeconds(table.remaining(id, now)),
                        (table.flags(id) & 0x01) != 0));
            });
            return out;
        });
    }

    /** The NAT rules, each as it reads (MASQUERADE rules name their interface). */
    public List<String> natRules() {
        return call(() -> {
            List<String> out = new ArrayList<>();
            for (var m : router.natRules().masqueradeRules()) {
                out.add("masquerade " + Ipv4Addr.toString(m.network()) + "/" + m.length() + " out of "
                        + router.iface(m.outInterface()).name());
            }
            for (var f : router.natRules().portForwards()) {
                out.add("forward " + dev.vnet.dataplane.nat.NatRules.describe(f));
            }
            return out;
        });
    }

    /**
     * Starts a capture on {@code portNames} ("all" or an empty list: every port) of the directions in {@code mask}
     * ({@link Capture#IN}, {@link Capture#OUT}, {@link Capture#DROPS}), through {@code filter}. Unknown port names
     * are refused before anything is hooked. The caller drains it and ends it with {@link #stopCapture}.
     */
    public Capture startCapture(List<String> portNames, int mask, CaptureFilter filter, int slots, int snapLength) {
        return call(() -> {
            List<Port> chosen = new ArrayList<>();
            boolean all = portNames.isEmpty() || portNames.contains("all");
            for (String name : all ? List.copyOf(ports.keySet()) : portNames) {
                Port p = ports.get(name);
                if (p == null) {
                    throw new IllegalArgumentException("no port '" + name + "' (ports: "
                            + String.join(", ", ports.keySet()) + ")");
                }
                chosen.add(p);
            }
            Capture c = new Capture(nextCaptureId++, mask, filter, slots, snapLength);
            if ((mask & (Capture.IN | Capture.OUT)) != 0) {
                chosen.forEach(p -> p.addCapture(c));
            }
            if ((mask & Capture.DROPS) != 0) {
                for (Pipeline p : pipelines) {
                    p.addDropCapture(c);
                }
            }
            captures.put(c, chosen);
            log.info("capture {} started on {} ({}{}{}) filter '{}'", c.id(), all ? "all ports" : portNames,
                    (mask & Capture.IN) != 0 ? "in " : "", (mask & Capture.OUT) != 0 ? "out " : "",
                    (mask & Capture.DROPS) != 0 ? "drops" : "", filter == CaptureFilter.ALL ? "" : filter);
            return c;
        });
    }

    /** Ends capture {@code c}: unhooked from every port, its filter freed. Idempotent. */
    public void stopCapture(Capture c) {
        c.stop();
        if (loops.isShuttingDown()) {
            return; // close() ended it
        }
        call(() -> {
            List<Port> on = captures.remove(c);
            if (on != null) {
                on.forEach(p -> p.removeCapture(c));
                for (Pipeline p : pipelines) {
                    p.removeDropCapture(c);
                }
                if (c.failure() != null) {
                    failedCaptures.addLast(describe(c, on));
                    if (failedCaptures.size() > FAILED_CAPTURES_KEPT) {
                        failedCaptures.removeFirst();
                    }
                    log.error("capture {} failed and was stopped: {} ({} frames captured)", c.id(), c.failure(),
                            c.captured());
                } else {
                    log.info("capture {} stopped: {} frames captured, {} lost because the reader was too slow",
                            c.id(), c.captured(), c.ringFull());
                }
                c.filter().free();
            }
            return null;
        });
    }

    /** Starts tracing the decisions for the next {@code count} frames {@code filter} takes; one trace at a time. */
    public DecisionTrace startTrace(CaptureFilter filter, long count) {
        DecisionTrace t = new DecisionTrace(filter, count);
        return call(() -> {
            if (pipeline.trace() != null) {
                throw new IllegalStateException("a decision trace is already running; one at a time");
            }
            for (Pipeline p : pipelines) {
                p.setTrace(t);
            }
            log.info("decision trace started for {} frames, filter '{}'", count,
                    filter == CaptureFilter.ALL ? "" : filter);
            return t;
        });
    }

    /** Ends decision trace {@code t}; idempotent. */
    public void stopTrace(DecisionTrace t) {
        t.stop();
        if (loops.isShuttingDown()) {
            return;
        }
        call(() -> {
            if (pipeline.trace() == t) {
                for (Pipeline p : pipelines) {
                    p.setTrace(null);
                }
                t.filter().free();
                log.info("decision trace stopped");
            }
            return null;
        });
    }

    /**
     * Running captures with their counters ({@code state} "running", or "failed" with the {@code error} for one that
     * failed and awaits its reader's stop), then the last captures that ended because they failed.
     */
    public List<Map<String, Object>> captures() {
        return call(() -> {
            List<Map<String, Object>> out = new ArrayList<>();
            captures.forEach((c, on) -> out.add(describe(c, on)));
            out.addAll(failedCaptures);
            return out;
        });
    }

    private static Map<String, Object> describe(Capture c, List<Port> on) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("ports", on.stream().map(Port::name).toList());
        m.put("filter", c.filter() == CaptureFilter.ALL ? "" : c.filter().toString());
        m.put("captured", c.captured());
        m.put("capture-drops", c.ringFull());
        m.put("state", c.failure() == null ? "running" : "failed");
        if (c.failure() != null) {
            m.put("error", c.failure());
        }
        return m;
    }

    /** The port forwards, each on the router interface that owns its address. */
    public List<ForwardEntry> portForwards() {
        return call(() -> {
            List<ForwardEntry> out = new ArrayList<>();
            for (var f : router.natRules().portForwards()) {
                String on = routerInterfaces.entrySet().stream()
                        .filter(e -> e.getValue().primaryAddress() == f.address()).map(Map.Entry::getKey)
                        .findFirst().orElse(Ipv4Addr.toString(f.address()));
                out.add(new ForwardEntry(f.protocol() == Ipv4.PROTO_TCP ? "tcp" : "udp", on, f.portLow(),
                        f.portHigh(), Ipv4Addr.toString(f.target()), f.targetPort()));
            }
            return out;
        });
    }

    /**
     * Connection table counters: entries, bound, created, expired, unreplied ones given up for new ones in a full
     * table, new ones refused because full.
     */
    public Map<String, Long> conntrackCounters() {
        return call(() -> {
            var t = router.conntrack();
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("entries", (long) t.size());
            m.put("max-entries", (long) t.maxConnections());
            m.put("created", t.created());
            m.put("expired", t.expiredCount());
            m.put("early-drops", t.earlyDrops());
            m.put("full-drops", t.fullDrops());
            return m;
        });
    }

    /** The router's neighbor (ARP) table. */
    public List<NeighborEntry> neighbors() {
        return call(() -> {
            List<NeighborEntry> out = new ArrayList<>();
            router.neighbors().forEach((ip, mac, iface, state, queued) -> out.add(new NeighborEntry(
                    Ipv4Addr.toString(ip), mac == NeighborTable.UNRESOLVED ? null : MacAddr.toString(mac),
                    router.iface(iface).name(), state.name(), queued)));
            return out;
        });
    }

    /** The router's routes, longest prefixes first. */
    public List<RouteEntry> routes() {
        return call(() -> {
            List<RouteEntry> out = new ArrayList<>();
            router.routes().forEach((network, length, iface, gateway) -> out.add(new RouteEntry(
                    Ipv4Addr.toString(network) + "/" + length, router.iface(iface).name(),
                    gateway == 0 ? null : Ipv4Addr.toString(gateway))));
            return out;
        });
    }

    /** Router interfaces with their MAC and addresses, one line each. */
    public List<String> routerInterfaces() {
        return call(router::describe);
    }

    /** The MAC of every router interface: frames sent from one of these are the router's own. */
    public java.util.Set<Long> routerMacs() {
        return call(() -> {
            java.util.Set<Long> macs = new java.util.HashSet<>();
            routerInterfaces.values().forEach(i -> macs.add(i.mac()));
            return macs;
        });
    }

    /** Adds a static FDB entry on {@code bridge} pointing at {@code portName}. */
    public void addStaticFdb(String bridge, String mac, String portName) {
        long address = MacAddr.parse(mac);
        if (MacAddr.isGroup(address) || address == 0) {
            throw new IllegalArgumentException("static FDB entry needs a unicast MAC, got " + mac);
        }
        call(() -> {
            Bridge b = requireBridge(bridge);
            Port p = ports.get(portName);
            if (p == null || membership.get(p) != b) {
                throw new IllegalArgumentException("port '" + portName + "' is not on bridge '" + bridge + "'");
            }
            b.table().putStatic(address, p);
            log.info("static fdb entry {} -> {} on {}", mac, portName, bridge);
            return null;
        });
    }

    /** The forwarding database of {@code bridge}, entries that have not aged out. */
    public List<FdbEntry> fdb(String bridge) {
        return call(() -> {
            Bridge b = requireBridge(bridge);
            List<FdbEntry> out = new ArrayList<>();
            b.table().forEach(clock.nanos(), (mac, port, isStatic, age) ->
                    out.add(new FdbEntry(MacAddr.toString(mac), port.name(), isStatic, age / 1e9)));
            return out;
        });
    }

    /** Counters of the bridge's table: learned, moves, limit hits, aged, current size. */
    public Map<String, Long> fdbCounters(String bridge) {
        return call(() -> {
            Bridge b = requireBridge(bridge);
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("entries", (long) b.table().size());
            m.put("max-entries", (long) b.table().maxEntries());
            m.put("learned", b.table().learned());
            m.put("moves", b.table().moves());
            m.put("limit-hits", b.table().limitHits());
            m.put("aged", b.table().aged());
            return m;
        });
    }

    /** Every port's counters. */
    public List<PortStats> portStats() {
        return call(() -> {
            List<PortStats> out = new ArrayList<>();
            for (Port p : ports.values()) {
                PortCounters c = p.totals();
                Map<String, Long> drops = new LinkedHashMap<>();
                for (int i = 0; i < DropReason.count(); i++) {
                    DropReason r = DropReason.ofOrdinal(i);
                    if (c.drops(r) > 0) {
                        drops.put(r.label(), c.drops(r));
                    }
                }
                Bridge b = membership.get(p);
                String device = p instanceof TapPort t ? t.interfaceName() : p.isInternal() ? "router" : "memory";
                out.add(new PortStats(p.name(), device, b == null ? null : b.name(), c.rxFrames(), c.rxBytes(),
                        c.txFrames(), c.txBytes(), c.rxErrors(), drops));
            }
            return out;
        });
    }

    /**
     * Pipeline totals over every loop: received, forwarded, flooded, dropped, consumed, local, injected, and
     * software-offloads (frames segmented or checksummed in software for a port without offloads).
     */
    public Map<String, Long> pipelineCounters() {
        return call(() -> {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("received", sum(Pipeline::received));
            m.put("forwarded", sum(Pipeline::forwarded));
            m.put("flooded", sum(Pipeline::flooded));
            m.put("dropped", sum(Pipeline::dropped));
            m.put("consumed", sum(Pipeline::consumed));
            m.put("local", sum(Pipeline::local));
            m.put("injected", sum(Pipeline::injected));
            m.put("software-offloads", sum(Pipeline::softwareOffloads));
            return m;
        });
    }

    private long sum(java.util.function.ToLongFunction<Pipeline> counter) {
        long total = 0;
        for (Pipeline p : pipelines) {
            total += counter.applyAsLong(p);
        }
        return total;
    }

    /**
     * The router's own counters: icmp-errors-suppressed (ICMP errors not sent because of the rate limit),
     * icmp-redirects-sent (hosts told of a better first hop),
     * fragments-held (fragments that overtook their datagram's first and waited for it), fragments-waiting (held now),
     * reassemblies (fragmented datagrams to the router being put back together now).
     */
    public Map<String, Long> routerCounters() {
        return call(() -> {
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("icmp-errors-suppressed", router.icmpErrorsSuppressed());
            m.put("icmp-redirects-sent", router.redirectsSent());
            m.put("fragments-held", router.fragmentsHeld());
            m.put("fragments-waiting", (long) router.fragmentsWaiting());
            m.put("reassemblies", (long) router.reassembliesInProgress());
            return m;
        });
    }

    /** Frames each event loop's pipeline received (index = loop), to see how the kernel spread the load. */
    public List<Long> loopReceived() {
        return call(() -> {
            List<Long> out = new ArrayList<>();
            for (Pipeline p : pipelines) {
                out.add(p.received());
            }
            return out;
        });
    }

    /** Names of the bridges, in the order they were added. */
    public List<String> bridgeNames() {
        return call(() -> new ArrayList<>(bridges.keySet()));
    }

    /** Names of the ports, in the order they were added. */
    public List<String> portNames() {
        return call(() -> new ArrayList<>(ports.keySet()));
    }

    private int nextPortId() {
        synchronized (this) {
            return nextPortId++;
        }
    }

    private Bridge requireBridge(String name) {
        Bridge b = bridges.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no bridge '" + name + "'");
        }
        return b;
    }

    private void checkNewPort(String name) {
        if (ports.containsKey(name)) {
            throw new IllegalArgumentException("port '" + name + "' already exists");
        }
    }

    private void checkOpen() {
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
        taps.forEach(Dataplane::waitClosed);
        loops.shutdown();
    }

    private void closeAtBarrier(List<TapPort> taps) {
        call(() -> {
            closed = true;
            if (agingTask != null) {
                agingTask.cancel(false);
                routerTask.cancel(false);
            }
            for (Port p : new ArrayList<>(ports.values())) {
                detachAndClose(p);
                if (p instanceof TapPort t) {
                    taps.add(t);
                }
            }
            ports.clear();
            router.neighbors().clear();
            router.releaseHeldFragments();
            captures.keySet().forEach(c -> {
                c.stop();
                c.filter().free();
            });
            captures.clear();
            return null;
        });
    }
}
