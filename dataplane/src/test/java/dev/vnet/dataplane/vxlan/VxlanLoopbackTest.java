package dev.vnet.dataplane.vxlan;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.api.FdbEntry;
import dev.vnet.dataplane.api.PortStats;
import dev.vnet.dataplane.api.VxlanOptions;
import dev.vnet.dataplane.port.MemoryPort;
import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.trace.CaptureFilter;
import dev.vnet.dataplane.trace.DecisionTrace;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.Tcp;
import dev.vnet.dataplane.wire.Vxlan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Two dataplanes in this process, each a VTEP on a loopback address of its own (127.0.0.1 and 127.0.0.2; the whole of
 * 127/8 is loopback), joined over VXLAN: frames flood across, the far side learns the sender behind the near VTEP,
 * unicast follows the learned entry, and what a hostile sender puts on the port is dropped with its reason.
 */
class VxlanLoopbackTest {
    private static final int VNI = 42;
    private static final Ipv4Address A = Ipv4Address.parse("127.0.0.1");
    private static final Ipv4Address B = Ipv4Address.parse("127.0.0.2");
    private static final long MAC_A = MacAddr.parse("02:00:00:00:0a:01");
    private static final long MAC_B = MacAddr.parse("02:00:00:00:0b:01");
    private static final long MAC_C = MacAddr.parse("02:00:00:00:0c:01");
    private static final Ipv4Address C = Ipv4Address.parse("127.0.0.3");
    private static final int IP_C = Ipv4Addr.parse("192.0.2.3");
    private static final int IP_A = Ipv4Addr.parse("192.0.2.1");
    private static final int IP_B = Ipv4Addr.parse("192.0.2.2");

    private final int port = freeUdpPort();
    private final Map<String, MemoryPort> hosts = new java.util.HashMap<>();
    private Dataplane a;
    private Dataplane b;

    private static int freeUdpPort() {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Dataplane vtep(Ipv4Address local, Ipv4Address remote, String host) throws Exception {
        Dataplane dp = Dataplane.start();
        dp.addBridge("br", BridgeOptions.defaults());
        hosts.put(host, dp.addMemoryPort(host, "br"));
        dp.addVxlan("br", new VxlanOptions(VNI, local, port, List.of(remote), Map.of(), true, 1500));
        return dp;
    }

    @BeforeEach
    void start() throws Exception {
        a = vtep(A, B, "ha");
        b = vtep(B, A, "hb");
    }

    @AfterEach
    void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    /** Frames memory port {@code port} of {@code dp} sent, waiting up to 5 s for at least one. */
    private static List<ByteBuf> awaitSent(Dataplane dp, String port) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<ByteBuf> got = new ArrayList<>();
        while (got.isEmpty() && System.nanoTime() < deadline) {
            got.addAll(dp.drainSent(port));
            if (got.isEmpty()) {
                Thread.sleep(10);
            }
        }
        return got;
    }

    private static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private static PortStats stats(Dataplane dp, String port) {
        return dp.portStats().stream().filter(p -> p.name().equals(port)).findFirst()
                .orElseThrow(() -> new AssertionError("no port " + port + " in " + dp.portNames()));
    }

    @Test
    void aBroadcastCrossesTheTunnelAndTheFarSideLearnsTheSenderBehindTheVtep() throws Exception {
        ByteBuf arp = FrameBuilder.arpRequest(MAC_A, IP_A, IP_B);
        byte[] sent = ByteBufUtil.getBytes(arp);
        a.inject("ha", arp);
        List<ByteBuf> got = awaitSent(b, "hb");
        try {
            assertEquals(1, got.size(), "one copy of the broadcast reaches the far host");
            assertEquals(ByteBufUtil.hexDump(sent), ByteBufUtil.hexDump(got.get(0)), "the inner frame, unchanged");
        } finally {
            got.forEach(ByteBuf::release);
        }
        FdbEntry learned = b.fdb("br").stream().filter(e -> e.mac().value() == MAC_A).findFirst()
                .orElseThrow(() -> new AssertionError("B did not learn " + MacAddr.toString(MAC_A) + ": " + b.fdb("br")));
        assertEquals("vxlan42@127.0.0.1", learned.port());
        assertEquals(A, learned.vtep(), "the fdb names the VTEP, as bridge fdb's dst");
        assertEquals(1, stats(a, "vxlan42@127.0.0.2").txFrames(), "A counts the frame sent to B's VTEP");
        assertEquals(1, stats(b, "vxlan42@127.0.0.1").rxFrames(), "B counts the frame from A's VTEP");
    }

    @Test
    void unicastToALearnedRemoteMacGoesToItsVtepAndBack() throws Exception {
        a.inject("ha", FrameBuilder.arpRequest(MAC_A, IP_A, IP_B));
        awaitSent(b, "hb").forEach(ByteBuf::release);
        ByteBuf reply = FrameBuilder.udp(MAC_A, MAC_B, IP_B, IP_A, 5000, 6000, new byte[100]);
        byte[] sent = ByteBufUtil.getBytes(reply);
        b.inject("hb", reply);
        List<ByteBuf> got = awaitSent(a, "ha");
        try {
            assertEquals(1, got.size());
            assertEquals(ByteBufUtil.hexDump(sent), ByteBufUtil.hexDump(got.get(0)));
        } finally {
            got.forEach(ByteBuf::release);
        }
        assertTrue(a.fdb("br").stream().anyMatch(e -> e.mac().value() == MAC_B && B.equals(e.vtep())),
                "A learned B's host behind B: " + a.fdb("br"));
    }

    @Test
    void aFrameTooBigForTheUnderlayIsDroppedAndCounted() throws Exception {
        a.inject("ha", FrameBuilder.udp(MAC_B, MAC_A, IP_A, IP_B, 5000, 6000, new byte[1500 - 28]));
        await("a vxlan-too-big drop", () -> stats(a, "vxlan42@127.0.0.2").drops()
                .getOrDefault(DropReason.VXLAN_TOO_BIG.label(), 0L) == 1);
        // The largest frame that fits (inner MTU 1450) goes through.
        a.inject("ha", FrameBuilder.udp(MAC_B, MAC_A, IP_A, IP_B, 5000, 6000, new byte[1450 - 28]));
        List<ByteBuf> got = awaitSent(b, "hb");
        got.forEach(ByteBuf::release);
        assertEquals(1, got.size(), "a frame of the inner MTU crosses");
    }

    @Test
    void whatAHostileSenderPutsOnThePortIsDroppedWithItsReason() throws Exception {
        ByteBuf frame = FrameBuilder.arpRequest(MAC_A, IP_A, IP_B);
        byte[] inner = ByteBufUtil.getBytes(frame);
        frame.release();
        try (DatagramSocket fromA = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             DatagramSocket stranger = new DatagramSocket(new InetSocketAddress("127.0.0.3", 0))) {
            send(fromA, datagram(0x08, VNI, 0, inner));            // well-formed: delivered
            send(fromA, datagram(0x0C, VNI, 0, inner));            // a reserved flag bit
            send(fromA, datagram(0x08, VNI, 1, inner));            // the reserved byte after the VNI
            send(fromA, datagram(0x08, 7, 0, inner));              // a VNI no bridge has
            send(stranger, datagram(0x08, VNI, 0, inner));         // a sender that is no VTEP
            send(fromA, new byte[] {8, 0, 0, 0});                  // a runt: half a header
            send(fromA, java.util.Arrays.copyOf(datagram(0x08, VNI, 0, inner), 8 + 10)); // inner frame cut short
        }
        await("every datagram accounted for", () -> {
            Map<String, Long> tunnel = stats(b, "vxlan42@127.0.0.1").drops();
            Map<String, Long> endpoint = stats(b, "vxlan" + port).drops();
            return tunnel.getOrDefault("vxlan-bad-flags", 0L) == 2 && tunnel.getOrDefault("vxlan-truncated", 0L) == 1
                    && endpoint.getOrDefault("vxlan-unknown-vni", 0L) == 1
                    && endpoint.getOrDefault("vxlan-unknown-vtep", 0L) == 1
                    && endpoint.getOrDefault("vxlan-truncated", 0L) == 1;
        });
        List<ByteBuf> got = awaitSent(b, "hb");
        got.forEach(ByteBuf::release);
        assertEquals(1, got.size(), "only the well-formed datagram from the VTEP reaches the bridge");
        assertTrue(b.fdb("br").stream().allMatch(e -> A.equals(e.vtep())), "nothing learned from the stranger");
    }

    @Test
    void aDecisionTraceShowsDecapsulationAndEncapsulation() throws Exception {
        DecisionTrace ta = a.startTrace(CaptureFilter.ALL, 1);
        DecisionTrace tb = b.startTrace(CaptureFilter.ALL, 1);
        try {
            a.inject("ha", FrameBuilder.arpRequest(MAC_A, IP_A, IP_B));
            String near = ta.poll(5_000);
            String far = tb.poll(5_000);
            assertNotNull(near, "A traced the frame");
            assertNotNull(far, "B traced the frame");
            assertTrue(near.matches("(?s).*vxlan42@127\\.0\\.0\\.2: encapsulated: vxlan vni 42 to VTEP 127\\.0\\.0\\.2:"
                    + port + " from 127\\.0\\.0\\.1:\\d+.*"), near);
            assertTrue(far.matches("(?s).*in vxlan42@127\\.0\\.0\\.1: .*decapsulated: vxlan vni 42 from VTEP "
                    + "127\\.0\\.0\\.1:\\d+.*"), far);
        } finally {
            a.stopTrace(ta);
            b.stopTrace(tb);
        }
        awaitSent(b, "hb").forEach(ByteBuf::release);
    }

    @Test
    void aTcpSuperFrameCrossesInOneSendAndArrivesJoinedAgain() throws Exception {
        a.inject("ha", FrameBuilder.arpRequest(MAC_A, IP_A, IP_B)); // B learns A, A floods until it learns B
        awaitSent(b, "hb").forEach(ByteBuf::release);
        hosts.get("hb").acceptOffloads(true);
        int mss = 1398; // 1450 less the IP and TCP headers
        byte[] data = new byte[40 * mss + 123];
        new java.util.Random(7).nextBytes(data);
        ByteBuf superFrame = FrameBuilder.tcp(MAC_B, MAC_A, IP_A, IP_B, 40000, 80, Tcp.ACK_FLAG | Tcp.PSH, data);
        long gso = Offload.of(0, Offload.GSO_TCPV4, 54, mss, 0, 0);
        a.executeOnLoop(0, () -> hosts.get("ha").inject(superFrame, gso)).get(5, java.util.concurrent.TimeUnit.SECONDS);
        await("41 segments through the tunnel", () -> stats(b, "vxlan42@127.0.0.1").rxFrames() >= 41 + 1);
        assertEquals(41, stats(a, "vxlan42@127.0.0.2").txFrames() - 1, "A sent the super-frame as 41 datagrams");
        List<ByteBuf> got = awaitSent(b, "hb");
        List<Long> offloads = hosts.get("hb").drainOffloads();
        try {
            java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
            for (ByteBuf f : got) {
                int l4 = 14 + 20;
                int headers = l4 + Tcp.headerLength(f, l4);
                joined.write(ByteBufUtil.getBytes(f, f.readerIndex() + headers, f.readableBytes() - headers));
            }
            assertTrue(java.util.Arrays.equals(data, joined.toByteArray()), "the payload, in order, once: "
                    + joined.size() + " of " + data.length + " bytes in " + got.size() + " frames");
            assertTrue(got.size() < 41 && offloads.stream().anyMatch(Offload::isGso),
                    "the segments arrive joined into super-frames again: " + got.size() + " frames, offloads "
                            + offloads.stream().map(Offload::describe).toList());
        } finally {
            got.forEach(ByteBuf::release);
        }
    }

    @Test
    void withAnySourceASenderThatIsNoVtepBecomesAUnicastTunnel() throws Exception {
        a.close();
        a = Dataplane.start();
        a.addBridge("br", BridgeOptions.defaults());
        hosts.put("ha", a.addMemoryPort("ha", "br"));
        a.addVxlan("br", new VxlanOptions(VNI, A, port, List.of(B), Map.of(), true, 1500, true));
        Dataplane c = vtep(C, A, "hc"); // C floods to A; A has never heard of C
        try {
            c.inject("hc", FrameBuilder.arpRequest(MAC_C, IP_C, IP_A));
            await("the first datagram dropped as vxlan-new-vtep", () -> stats(a, "vxlan" + port).drops()
                    .getOrDefault(DropReason.VXLAN_NEW_VTEP.label(), 0L) == 1);
            await("a tunnel to C", () -> a.portNames().contains("vxlan42@127.0.0.3"));
            c.inject("hc", FrameBuilder.arpRequest(MAC_C, IP_C, IP_A));
            List<ByteBuf> got = awaitSent(a, "ha");
            got.forEach(ByteBuf::release);
            assertEquals(1, got.size(), "what C sends next crosses");
            assertTrue(a.fdb("br").stream().anyMatch(e -> e.mac().value() == MAC_C && C.equals(e.vtep())),
                    "C's host learned behind C: " + a.fdb("br"));
            a.inject("ha", FrameBuilder.udp(MAC_C, MAC_A, IP_A, IP_C, 5000, 6000, new byte[10]));
            got = awaitSent(c, "hc");
            got.forEach(ByteBuf::release);
            assertEquals(1, got.size(), "unicast to C's host goes to C");
            a.inject("ha", FrameBuilder.arpRequest(MAC_A, IP_A, IP_B));
            got = awaitSent(b, "hb");
            got.forEach(ByteBuf::release);
            Thread.sleep(200);
            assertTrue(c.drainSent("hc").isEmpty(), "a learned VTEP gets no floods (only the flood list does)");
        } finally {
            c.close();
        }
    }

    private void send(DatagramSocket from, byte[] payload) throws java.io.IOException {
        from.send(new DatagramPacket(payload, payload.length, InetAddress.getByName("127.0.0.2"), port));
    }

    private static byte[] datagram(int flags, int vni, int reserved, byte[] inner) {
        byte[] d = new byte[Vxlan.HEADER_LEN + inner.length];
        d[0] = (byte) flags;
        d[4] = (byte) (vni >>> 16);
        d[5] = (byte) (vni >>> 8);
        d[6] = (byte) vni;
        d[7] = (byte) reserved;
        System.arraycopy(inner, 0, d, Vxlan.HEADER_LEN, inner.length);
        return d;
    }
}
