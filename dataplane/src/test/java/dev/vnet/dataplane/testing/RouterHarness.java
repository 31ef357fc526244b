package dev.vnet.dataplane.testing;

import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.l3.Router;
import dev.vnet.dataplane.l3.RouterInterface;
import dev.vnet.dataplane.l3.RouterPort;
import dev.vnet.dataplane.pipeline.Pipeline;
import dev.vnet.dataplane.port.MemoryPort;
import dev.vnet.dataplane.wire.Arp;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two bridges and an uplink joined by the router, on in-memory ports and a manual clock:
 * <pre>
 *   h1 192.168.15.1 (p1) ─┐ br1, gateway 192.168.15.5
 *   h2 192.168.15.2 (p2) ─┘
 *   h3 192.168.16.3 (p3) ── br2, gateway 192.168.16.5
 *   lan 192.168.1.3 ─── uplink port, router 192.168.1.2 (MTU {@link #UPLINK_MTU})
 * </pre>
 */
public final class RouterHarness implements AutoCloseable {
    /** MTU of the uplink, smaller than the bridges' to exercise fragmentation. */
    public static final int UPLINK_MTU = 1000;
    /** Host MACs. */
    public static final long H1 = MacAddr.parse("02:00:00:00:00:01");
    /** Host MACs. */
    public static final long H2 = MacAddr.parse("02:00:00:00:00:02");
    /** Host MACs. */
    public static final long H3 = MacAddr.parse("02:00:00:00:00:03");
    /** The LAN host's MAC. */
    public static final long LAN = MacAddr.parse("02:00:00:00:01:03");
    /** Router interface MACs. */
    public static final long GW1 = MacAddr.parse("02:aa:00:00:00:01");
    /** Router interface MACs. */
    public static final long GW2 = MacAddr.parse("02:aa:00:00:00:02");
    /** Router interface MACs. */
    public static final long GW_UPLINK = MacAddr.parse("02:aa:00:00:00:03");
    /** h1's address, on br1 (the seed lab's red). */
    public static final int H1_IP = parse("192.168.15.1");
    /** h2's address, on br1 (the seed lab's blue). */
    public static final int H2_IP = parse("192.168.15.2");
    /** The router's address on br1 (the seed lab's gateway). */
    public static final int GW1_IP = parse("192.168.15.5");
    /** The router's address on the uplink. */
    public static final int UPLINK_IP = parse("192.168.1.2");
    /** The LAN host's address, beyond the uplink. */
    public static final int LAN_IP = parse("192.168.1.3");

    /** The clock. */
    public final ManualClock clock = new ManualClock();
    /** The pipeline. */
    public final Pipeline pipeline;
    /** The router. */
    public final Router router;
    /** Bridges. */
    public final Bridge br1;
    /** Bridges. */
    public final Bridge br2;
    /** Ports: p1, p2 on br1, p3 on br2, uplink routed. */
    public final MemoryPort p1;
    /** Port p2. */
    public final MemoryPort p2;
    /** Port p3. */
    public final MemoryPort p3;
    /** The uplink. */
    public final MemoryPort uplink;
    /** The router's ports on the bridges. */
    public final RouterPort gw1Port = new RouterPort(5, "gw:br1");
    /** The router's ports on the bridges. */
    public final RouterPort gw2Port = new RouterPort(6, "gw:br2");
    private final List<ByteBuf> taken = new ArrayList<>();
    /** The seed of the router's random draws (NAT port search offsets), so every run of a test is the same. */
    public static final long RANDOM_SEED = 7;

    /** Builds the topology. */
    public RouterHarness() {
        this(dev.vnet.dataplane.conntrack.ConnTable.DEFAULT_MAX_CONNECTIONS);
    }

    /** Builds the topology with a connection table of {@code maxConnections}. */
    public RouterHarness(int maxConnections) {
        this(new dev.vnet.dataplane.l3.RouterLimits(maxConnections, 1024, 1024,
                dev.vnet.dataplane.conntrack.ConntrackTimeouts.defaults()));
    }

    /** Builds the topology with the router's table bounds and timeouts from {@code limits}. */
    public RouterHarness(dev.vnet.dataplane.l3.RouterLimits limits) {
        this(limits, io.netty.buffer.PooledByteBufAllocator.DEFAULT, 64);
    }

    /**
     * Builds the topology with the router's bounds from {@code limits}, MAC tables of {@code fdbEntries}, and the
     * frames the dataplane builds taken from {@code allocator}.
     */
    public RouterHarness(dev.vnet.dataplane.l3.RouterLimits limits, io.netty.buffer.ByteBufAllocator allocator,
                         int fdbEntries) {
        pipeline = new Pipeline(clock, allocator, new dev.vnet.dataplane.pipeline.Attachments());
        br1 = new Bridge("br1", fdbEntries, TimeUnit.SECONDS.toNanos(300), pipeline.attachments());
        br2 = new Bridge("br2", fdbEntries, TimeUnit.SECONDS.toNanos(300), pipeline.attachments());
        p1 = new MemoryPort(1, "p1", pipeline);
        p2 = new MemoryPort(2, "p2", pipeline);
        p3 = new MemoryPort(3, "p3", pipeline);
        uplink = new MemoryPort(4, "uplink", pipeline);
        // NAT port search: repeatable
        router = new Router(limits, new java.util.SplittableRandom(RANDOM_SEED), pipeline.attachments());
        br1.attach(p1);
        br1.attach(p2);
        br2.attach(p3);
        RouterInterface i1 = router.addBridgeInterface(br1, gw1Port, GW1, 1500);
        router.addAddress(i1, parse("192.168.15.5"), 24);
        RouterInterface i2 = router.addBridgeInterface(br2, gw2Port, GW2, 1500);
        router.addAddress(i2, parse("192.168.16.5"), 24);
        RouterInterface up = router.addPortInterface("uplink", uplink, GW_UPLINK, UPLINK_MTU);
        router.addAddress(up, parse("192.168.1.2"), 24);
    }

    /**
     * Adds the seed lab's NAT: MASQUERADE 192.168.15.0/24 out of the uplink, tcp/80 and udp/5353 (to 53) of the
     * uplink's address forwarded to h2 (192.168.15.2); and makes every host known up front so frames go straight
     * through. Returns this harness.
     */
    public RouterHarness withSeedNat() {
        int uplinkIndex = router.interfaces().stream().filter(i -> i.name().equals("uplink")).findFirst()
                .orElseThrow().index();
        int upIp = parse("192.168.1.2");
        int h2Ip = parse("192.168.15.2");
        int gw1Ip = parse("192.168.15.5");
        router.natRules().add(new dev.vnet.dataplane.nat.NatRules.Masquerade(parse("192.168.15.0"), 24, uplinkIndex));
        router.natRules().add(new dev.vnet.dataplane.nat.NatRules.PortForward(6, upIp, 80, 80, h2Ip, 80));
        router.natRules().add(new dev.vnet.dataplane.nat.NatRules.PortForward(17, upIp, 5353, 5353, h2Ip, 53));
        answerArp(p1, H1, parse("192.168.15.1"), GW1, gw1Ip);
        answerArp(p2, H2, h2Ip, GW1, gw1Ip);
        answerArp(uplink, LAN, parse("192.168.1.3"), GW_UPLINK, upIp);
        return this;
    }

    /** Injects {@code frame} on {@code port}. */
    public void send(MemoryPort port, ByteBuf frame) {
        port.inject(frame);
    }

    /** Runs the router's timer at the current time. */
    public void tick() {
        pipeline.beginBatch();
        router.tick(clock.nanos(), pipeline);
        pipeline.endBatch();
    }

    /** What {@code port} sent since the last call (released at close). */
    public List<ByteBuf> sent(MemoryPort port) {
        List<ByteBuf> out = port.drain();
        taken.addAll(out);
        return out;
    }

    /** Answers the router's pending ARP request for {@code ip} from {@code mac} on {@code port}. */
    public void answerArp(MemoryPort port, long mac, int ip, long routerMac, int routerIp) {
        ByteBuf reply = FrameBuilder.ethernet(routerMac, mac, Ethernet.TYPE_ARP, new byte[Arp.LENGTH]);
        Arp.write(reply, Ethernet.HEADER_LEN, Arp.OP_REPLY, mac, ip, routerMac, routerIp);
        port.inject(reply);
    }

    /** Frames in = forwarded + flooded + dropped + consumed + local. */
    public void assertCountersAddUp() {
        assertEquals(pipeline.received(), pipeline.forwarded() + pipeline.flooded() + pipeline.dropped()
                + pipeline.consumed() + pipeline.local(), "every frame accounted for");
    }

    @Override
    public void close() {
        for (MemoryPort p : List.of(p1, p2, p3, uplink)) {
            sent(p);
        }
        taken.forEach(ByteBuf::release);
        router.neighbors().clear();
        router.neighbors6().clear();
        router.releaseHeldFragments();
    }
}
