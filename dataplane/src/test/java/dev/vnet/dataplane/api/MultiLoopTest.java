package dev.vnet.dataplane.api;

import dev.vnet.dataplane.l3.RouterLimits;
import dev.vnet.dataplane.loop.PollMode;
import dev.vnet.dataplane.port.MemoryPort;
import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.util.Clock;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.Udp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two event loops forwarding at once over one bridge, router and connection table: MASQUERADE flows whose two
 * directions are handled by different loops at the same moment, and bridged flows beside them. Every flow keeps its
 * order, every frame arrives, and the shared tables end consistent (one connection per flow, every one replied, the
 * bridge's table holding exactly the hosts, counters adding up).
 */
class MultiLoopTest {
    private static final int LOOPS = 2;
    private static final int FLOWS = 8;
    private static final int HOSTS = 4;
    private static final int PER_FLOW = 400;
    private static final int PEER = Ipv4Addr.parse("198.51.100.3");
    private static final int UPLINK = Ipv4Addr.parse("198.51.100.2");
    private static final long PEER_MAC = MacAddr.parse("02:00:00:00:01:03");

    private Dataplane dp;
    private final List<MemoryPort> hosts = new ArrayList<>();
    private MemoryPort up;

    private static long hostMac(int h) {
        return MacAddr.parse("02:00:00:00:00:1" + h);
    }

    private static int hostIp(int h) {
        return Ipv4Addr.parse("10.0.0." + (10 + h));
    }

    @BeforeEach
    void build() throws Exception {
        dp = Dataplane.start(Clock.SYSTEM, PooledByteBufAllocator.DEFAULT, RouterLimits.defaults(), PollMode.SLEEP, LOOPS);
        assertEquals(LOOPS, dp.loopCount());
        dp.addBridge("br", BridgeOptions.defaults());
        dp.addGateway("br", Ipv4Cidr.parse("10.0.0.1/24"), 1500);
        for (int h = 0; h < HOSTS; h++) {
            hosts.add(dp.addMemoryPort("h" + h, "br"));
        }
        up = dp.addUplinkMemoryPort("up", Ipv4Cidr.parse("198.51.100.2/24"), 1500);
        dp.addMasquerade(Ipv4Cidr.parse("10.0.0.0/24"), "up");
        // Every host and the peer ask for the router's address: the router learns them (RFC 826) and answers.
        for (int h = 0; h < HOSTS; h++) {
            dp.inject("h" + h, FrameBuilder.arpRequest(hostMac(h), hostIp(h), Ipv4Addr.parse("10.0.0.1")));
        }
        dp.inject("up", FrameBuilder.arpRequest(PEER_MAC, PEER, UPLINK));
        for (String p : dp.portNames()) {
            if (!p.startsWith("gw:")) {
                dp.drainSent(p).forEach(ByteBuf::release);
            }
        }
    }

    @AfterEach
    void close() {
        dp.close();
    }

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    /** A UDP payload: flow number, sequence number. */
    private static byte[] payload(int flow, int seq) {
        return ByteBuffer.allocate(8).putInt(flow).putInt(seq).array();
    }

    @Test
    void flowsSplitOverTwoLoopsKeepTheirOrderAndTheTablesStayConsistent() throws Exception {
        long gwMac = MacAddr.derived("gw:br");
        long upMac = MacAddr.derived("up");
        // Phase 1: each flow's first packets on loop flow % 2, bridged flows h0->h1 and h2->h3 beside them.
        List<Future<?>> running = new ArrayList<>();
        for (int f = 0; f < FLOWS; f++) {
            int flow = f;
            int h = f % HOSTS;
            running.add(dp.executeOnLoop(f % LOOPS, () -> {
                for (int seq = 0; seq < PER_FLOW; seq++) {
                    hosts.get(h).inject(FrameBuilder.udp(gwMac, hostMac(h), hostIp(h), PEER, 20000 + flow, 9000,
                            payload(flow, seq)));
                }
            }));
        }
        for (int pair = 0; pair < 2; pair++) {
            int from = pair * 2;
            running.add(dp.executeOnLoop((pair + 1) % LOOPS, () -> {
                for (int seq = 0; seq < PER_FLOW; seq++) {
                    hosts.get(from).inject(FrameBuilder.udp(hostMac(from + 1), hostMac(from), hostIp(from),
                            hostIp(from + 1), 7000, 7000, payload(100 + from, seq)));
                }
            }));
        }
        waitAll(running);
        Map<Integer, Integer> natPort = new HashMap<>();
        Map<Integer, Integer> next = new HashMap<>();
        for (ByteBuf frame : dp.drainSent("up")) {
            try {
                int ip = Ethernet.HEADER_LEN;
                int l4 = ip + Ipv4.MIN_HEADER_LEN;
                assertEquals(UPLINK, Ipv4.src(frame, ip), "masqueraded");
                assertEquals(PEER_MAC, Ethernet.dst(frame, 0));
                int flow = frame.getInt(l4 + Udp.HEADER_LEN);
                int seq = frame.getInt(l4 + Udp.HEADER_LEN + 4);
                assertEquals(next.getOrDefault(flow, 0), seq, "flow " + flow + " in order");
                next.put(flow, seq + 1);
                Integer before = natPort.put(flow, Udp.srcPort(frame, l4));
                assertTrue(before == null || before == Udp.srcPort(frame, l4), "one NAT port per flow");
            } finally {
                frame.release();
            }
        }
        for (int f = 0; f < FLOWS; f++) {
            assertEquals(PER_FLOW, next.getOrDefault(f, 0), "every packet of flow " + f + " left by the uplink");
        }
        checkBridged(1, 100, 0);
        checkBridged(3, 102, 0);

        // Phase 2: both directions of every connection at once, each on a different loop.
        running.clear();
        for (int f = 0; f < FLOWS; f++) {
            int flow = f;
            int h = f % HOSTS;
            int port = natPort.get(f);
            running.add(dp.executeOnLoop(f % LOOPS, () -> {
                for (int seq = PER_FLOW; seq < 2 * PER_FLOW; seq++) {
                    hosts.get(h).inject(FrameBuilder.udp(gwMac, hostMac(h), hostIp(h), PEER, 20000 + flow, 9000,
                            payload(flow, seq)));
                }
            }));
            running.add(dp.executeOnLoop((f + 1) % LOOPS, () -> {
                for (int seq = 0; seq < PER_FLOW; seq++) {
                    up.inject(FrameBuilder.udp(upMac, PEER_MAC, PEER, UPLINK, 9000, port, payload(flow, seq)));
                }
            }));
        }
        waitAll(running);
        next.clear();
        for (ByteBuf frame : dp.drainSent("up")) {
            int l4 = Ethernet.HEADER_LEN + Ipv4.MIN_HEADER_LEN;
            int flow = frame.getInt(l4 + Udp.HEADER_LEN);
            int seq = frame.getInt(l4 + Udp.HEADER_LEN + 4);
            assertEquals(next.getOrDefault(flow, PER_FLOW), seq, "flow " + flow + " still in order");
            next.put(flow, seq + 1);
            frame.release();
        }
        for (int h = 0; h < HOSTS; h++) {
            Map<Integer, Integer> replies = new HashMap<>();
            for (ByteBuf frame : dp.drainSent("h" + h)) {
                try {
                    int ip = Ethernet.HEADER_LEN;
                    int l4 = ip + Ipv4.MIN_HEADER_LEN;
                    assertEquals(hostIp(h), Ipv4.dst(frame, ip), "the reply is translated back");
                    int flow = frame.getInt(l4 + Udp.HEADER_LEN);
                    assertEquals(20000 + flow, Udp.dstPort(frame, l4));
                    int seq = frame.getInt(l4 + Udp.HEADER_LEN + 4);
                    assertEquals(replies.getOrDefault(flow, 0), seq, "reply of flow " + flow + " in order");
                    replies.put(flow, seq + 1);
                } finally {
                    frame.release();
                }
            }
            for (int f = h; f < FLOWS; f += HOSTS) {
                assertEquals(PER_FLOW, replies.getOrDefault(f, 0), "every reply of flow " + f + " reached h" + h);
                assertEquals(2 * PER_FLOW, next.get(f), "every packet of flow " + f + " left by the uplink");
            }
        }

        List<ConnectionEntry> connections = dp.connections();
        assertEquals(FLOWS, connections.size(), "one connection per flow, whichever loop saw it: " + connections);
        connections.forEach(c -> assertEquals("REPLIED", c.state(), c.toString()));
        assertEquals(HOSTS, dp.fdb("br").stream().filter(e -> e.port().startsWith("h")).count(),
                "the bridge learned each host once: " + dp.fdb("br"));
        Map<String, Long> p = dp.pipelineCounters();
        assertEquals(0, p.get("dropped"), p.toString());
        assertEquals(p.get("received"), p.get("forwarded") + p.get("flooded") + p.get("dropped") + p.get("consumed")
                + p.get("local"), "every frame accounted for once: " + p);
        List<Long> perLoop = dp.loopReceived();
        perLoop.forEach(n -> assertTrue(n > FLOWS * PER_FLOW / 2, "each loop forwarded its share: " + perLoop));
        for (PortStats s : dp.portStats()) {
            assertTrue(s.drops().isEmpty(), s.name() + " dropped nothing: " + s.drops());
        }
        assertFalse(dp.conntrackCounters().get("created") > FLOWS, "no connection made twice");
    }

    private void checkBridged(int host, int flow, int from) {
        int expected = from;
        for (ByteBuf frame : dp.drainSent("h" + host)) {
            try {
                int l4 = Ethernet.HEADER_LEN + Ipv4.MIN_HEADER_LEN;
                assertEquals(flow, frame.getInt(l4 + Udp.HEADER_LEN));
                assertEquals(expected++, frame.getInt(l4 + Udp.HEADER_LEN + 4), "bridged flow " + flow + " in order");
            } finally {
                frame.release();
            }
        }
        assertEquals(from + PER_FLOW, expected, "every bridged frame of flow " + flow + " arrived");
    }

    private static void waitAll(List<Future<?>> running) throws Exception {
        for (Future<?> f : running) {
            f.get(60, TimeUnit.SECONDS);
            if (!f.isSuccess()) {
                throw new AssertionError(f.cause());
            }
        }
    }
}
