package dev.vnet.bench;

import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.l3.Router;
import dev.vnet.dataplane.l3.RouterInterface;
import dev.vnet.dataplane.l3.RouterLimits;
import dev.vnet.dataplane.l3.RouterPort;
import dev.vnet.dataplane.nat.NatRules;
import dev.vnet.dataplane.pipeline.Attachments;
import dev.vnet.dataplane.pipeline.Pipeline;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.util.Clock;
import dev.vnet.dataplane.util.JvmOptions;
import dev.vnet.dataplane.util.NettyDefaults;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The whole stage graph per routed frame, without I/O: a 64-byte UDP frame enters a bridge port, is switched to the
 * router's port, goes through L3 input, connection tracking, routing (TTL, checksum), NAT when the path has it, the
 * MTU check and neighbor output, and is handed to the egress port, which releases it. {@code path}:
 * {@code routed} (bridge to bridge, no NAT), {@code masquerade} (out of the uplink, source rewritten), {@code dnat}
 * (into the uplink's forwarded port, destination rewritten), and the same three over IPv6 ({@code routed6},
 * {@code masquerade6}, {@code dnat6}: 78-byte frames, the smallest UDP over IPv6 with a payload as the IPv4 frames'
 * 18 bytes less two; NAT66 through the connection table's address handles). 256 flows cycle; with
 * {@code connections=established} (the default) every one is an established connection after warm-up, as in steady
 * traffic; with {@code new} every frame opens a connection (the clock moves past the UDP timeout each time the flows
 * wrap, so the connection its tuple had has expired and is replaced: lookup miss, filter, NAT plan, create), as a
 * flood of new connections. {@code rules}: filter rules the router holds ({@link FilterBenchmark#tenantRules}, none
 * matching these flows, so a new connection's decision probes every group of the classifier; established frames ask
 * no rule). Every neighbor is resolved.
 *
 * <p>Routing rewrites a frame in place (MACs, TTL, NAT), so each frame is restored from its template (a 64-byte copy)
 * before it is offered again: {@link #restoreOnly} measures that copy alone, to subtract. The frames are held with
 * many references ({@link BenchFrames#HELD}), so offering one again takes no {@code retain()}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {NettyDefaults.LEAK_DETECTION_ARG, NettyDefaults.CHECK_ACCESSIBLE_ARG,
        JvmOptions.GC})
public class RouterPathBenchmark {
    /** Frames per read batch. */
    public static final int BATCH = 32;
    /** Distinct flows cycled through. */
    public static final int FLOWS = 256;
    private static final int FRAME = 64;
    private static final long H1 = MacAddr.parse("02:00:00:00:00:01");
    private static final long H2 = MacAddr.parse("02:00:00:00:00:02");
    private static final long H3 = MacAddr.parse("02:00:00:00:00:03");
    private static final long LAN = MacAddr.parse("02:00:00:00:01:03");
    private static final long GW1 = MacAddr.parse("02:aa:00:00:00:01");
    private static final long GW2 = MacAddr.parse("02:aa:00:00:00:02");
    private static final long GW_UPLINK = MacAddr.parse("02:aa:00:00:00:03");

    /** Which path the frames take. */
    @Param({"routed", "masquerade", "dnat", "routed6", "masquerade6", "dnat6"})
    public String path;

    /** Filter rules the router holds (0, 100, 10000 measure the filter's cost on the whole path). */
    @Param({"0"})
    public int rules;

    /** established: every frame's connection exists; new: every frame opens one. */
    @Param({"established"})
    public String connections = "established";

    /** Past the UDP timeout (30 s): each wrap of the flows finds every connection expired. */
    private static final long EXPIRE_STEP = TimeUnit.SECONDS.toNanos(31);
    private static final int FRAME6 = 78;
    private long time = 1_000_000_000L;
    private boolean fresh;
    private int frameLength;

    private Pipeline pipeline;
    private Router router;
    private CountingPort p1;
    private CountingPort p3;
    private CountingPort uplink;
    private CountingPort p2;
    private ByteBuf[] frames;
    private ByteBuf[] templates;
    private Port ingress;
    private int next;

    /** Builds two bridges and an uplink around the router, the seed lab's NAT, resolved neighbors and the frames. */
    @Setup(Level.Trial)
    public void setUp() {
        if (!connections.equals("established") && !connections.equals("new")) {
            throw new IllegalArgumentException("connections must be established or new, not " + connections);
        }
        fresh = connections.equals("new");
        Clock clock = () -> time;
        pipeline = new Pipeline(clock, new Attachments());
        router = new Router(RouterLimits.defaults(), pipeline.attachments());
        FilterBenchmark.tenantRules(router.policy(), rules);
        Bridge br1 = new Bridge("br1", 64, TimeUnit.SECONDS.toNanos(300), pipeline.attachments());
        Bridge br2 = new Bridge("br2", 64, TimeUnit.SECONDS.toNanos(300), pipeline.attachments());
        p1 = new CountingPort(1, "p1");
        p2 = new CountingPort(2, "p2");
        p3 = new CountingPort(3, "p3");
        uplink = new CountingPort(4, "uplink");
        br1.attach(p1);
        br1.attach(p2);
        br2.attach(p3);
        RouterInterface i1 = router.addBridgeInterface(br1, new RouterPort(5, "gw:br1"), GW1, 1500);
        router.addAddress(i1, ip("192.168.15.5"), 24);
        RouterInterface i2 = router.addBridgeInterface(br2, new RouterPort(6, "gw:br2"), GW2, 1500);
        router.addAddress(i2, ip("192.168.16.5"), 24);
        RouterInterface up = router.addPortInterface("uplink", uplink, GW_UPLINK, 1500);
        router.addAddress(up, ip("192.168.1.2"), 24);
        router.natRules().add(new NatRules.Masquerade(ip("192.168.15.0"), 24, up.index()));
        router.natRules().add(new NatRules.PortForward(Ipv4.PROTO_UDP, ip("192.168.1.2"), 5353, 5353,
                ip("192.168.15.2"), 53));
        long now = clock.nanos();
        router.neighbors().confirm(ip("192.168.15.1"), H1, i1.index(), now, true, (f, o) -> { });
        router.neighbors().confirm(ip("192.168.15.2"), H2, i1.index(), now, true, (f, o) -> { });
        router.neighbors().confirm(ip("192.168.16.3"), H3, i2.index(), now, true, (f, o) -> { });
        router.neighbors().confirm(ip("192.168.1.3"), LAN, up.index(), now, true, (f, o) -> { });
        router.addAddress6(i1, Ipv6Cidr.parse("fd00:15::5/64"));
        router.addAddress6(i2, Ipv6Cidr.parse("fd00:16::5/64"));
        router.addAddress6(up, Ipv6Cidr.parse("fd00:1::2/64"));
        router.natRules().add(new NatRules.Masquerade6(Ipv6Cidr.parse("fd00:15::/64"), up.index()));
        router.natRules().add(new NatRules.PortForward6(Ipv4.PROTO_UDP, ip6("fd00:1::2"), 5353, 5353,
                ip6("fd00:15::2"), 53));
        confirm6(router, "fd00:15::1", H1, i1, now);
        confirm6(router, "fd00:15::2", H2, i1, now);
        confirm6(router, "fd00:16::3", H3, i2, now);
        confirm6(router, "fd00:1::3", LAN, up, now);
        br1.table().learn(H1, p1, now);
        br1.table().learn(H2, p2, now);
        br2.table().learn(H3, p3, now);
        frames = new ByteBuf[FLOWS];
        templates = new ByteBuf[FLOWS];
        for (int i = 0; i < FLOWS; i++) {
            templates[i] = switch (path) {
                case "routed" -> udp(GW1, H1, "192.168.15.1", "192.168.16.3", 10_000 + i, 53);
                case "masquerade" -> udp(GW1, H1, "192.168.15.1", "192.168.1.3", 10_000 + i, 53);
                case "dnat" -> udp(GW_UPLINK, LAN, "192.168.1.3", "192.168.1.2", 10_000 + i, 5353);
                case "routed6" -> udp6(GW1, H1, "fd00:15::1", "fd00:16::3", 10_000 + i, 53);
                case "masquerade6" -> udp6(GW1, H1, "fd00:15::1", "fd00:1::3", 10_000 + i, 53);
                case "dnat6" -> udp6(GW_UPLINK, LAN, "fd00:1::3", "fd00:1::2", 10_000 + i, 5353);
                default -> throw new IllegalArgumentException("path " + path);
            };
            frameLength = templates[i].readableBytes();
            frames[i] = PooledByteBufAllocator.DEFAULT.directBuffer(frameLength);
            frames[i].writeBytes(templates[i], 0, frameLength);
        }
        ingress = path.startsWith("dnat") ? uplink : p1;
        holdFrames();
    }

    /** Tops the frames' held references up before each iteration ({@link BenchFrames#HELD}). */
    @Setup(Level.Iteration)
    public void holdFrames() {
        BenchFrames.hold(frames);
    }

    private static int ip(String s) {
        return Ipv4Addr.parse(s);
    }

    private static Ipv6Address ip6(String s) {
        return Ipv6Address.parse(s);
    }

    private static void confirm6(Router router, String address, long mac, RouterInterface iface, long now) {
        Ipv6Address a = ip6(address);
        router.neighbors6().confirm(a.hi(), a.lo(), mac, iface.index(), now, true, (f, o) -> { });
    }

    private static ByteBuf udp6(long dst, long src, String from, String to, int srcPort, int dstPort) {
        return BenchFrames.udp6(FRAME6, dst, src, ip6(from), ip6(to), srcPort, dstPort);
    }

    private static ByteBuf udp(long dst, long src, String from, String to, int srcPort, int dstPort) {
        return BenchFrames.udp(FRAME, dst, src, ip(from), ip(to), srcPort, dstPort, 64);
    }

    /** Releases the frames. */
    @TearDown(Level.Trial)
    public void tearDown() {
        BenchFrames.releaseAll(frames);
        BenchFrames.releaseAll(templates);
    }

    /** One read batch of {@link #BATCH} frames through the router; reported per frame (restore copy included). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void route() {
        Pipeline p = pipeline;
        int i = next;
        if (fresh && i == 0) {
            time += EXPIRE_STEP;
        }
        p.beginBatch();
        for (int n = 0; n < BATCH; n++) {
            ByteBuf f = frames[i];
            f.setBytes(0, templates[i], 0, frameLength);
            p.receive(ingress, f); // one of the references held (BenchFrames.HELD)
            i = (i + 1) & (FLOWS - 1);
        }
        next = i;
        p.endBatch();
    }

    /** The restore copy alone, per frame: subtract it from {@link #route}. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int restoreOnly() {
        int i = next;
        int sum = 0;
        for (int n = 0; n < BATCH; n++) {
            ByteBuf f = frames[i];
            f.setBytes(0, templates[i], 0, frameLength);
            sum += f.getByte(frameLength - 1);
            i = (i + 1) & (FLOWS - 1);
        }
        next = i;
        return sum;
    }

    /** Connections the router made, for the functional test. */
    public long connectionsCreated() {
        return router.conntrack().created();
    }

    /** Rules the router's filter holds, for the functional test. */
    public int policyRules() {
        return router.policy().names().size();
    }

    /** The pipeline, for the functional test. */
    public Pipeline pipeline() {
        return pipeline;
    }

    /** Frames handed to the port the path ends at, for the functional test. */
    public long delivered() {
        return switch (path) {
            case "routed", "routed6" -> p3.frames();
            case "masquerade", "masquerade6" -> uplink.frames();
            default -> p2.frames();
        };
    }

    /** The frames (each at {@link BenchFrames#HELD} less one reference per use), for the functional test. */
    public ByteBuf[] frames() {
        return frames;
    }
}
