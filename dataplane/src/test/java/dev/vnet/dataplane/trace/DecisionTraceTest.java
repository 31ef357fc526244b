package dev.vnet.dataplane.trace;

import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.testing.RouterHarness;
import dev.vnet.dataplane.wire.Tcp;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.vnet.dataplane.testing.RouterHarness.GW1;
import static dev.vnet.dataplane.testing.RouterHarness.GW_UPLINK;
import static dev.vnet.dataplane.testing.RouterHarness.H1;
import static dev.vnet.dataplane.testing.RouterHarness.H2;
import static dev.vnet.dataplane.testing.RouterHarness.LAN;
import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decision traces on the router harness (br1 with p1, p2; uplink 192.168.1.2): each path shows its decisions. */
class DecisionTraceTest {
    private static final int H1_IP = parse("192.168.15.1");
    private static final int H2_IP = parse("192.168.15.2");
    private static final int LAN_IP = parse("192.168.1.3");
    private static final int UP_IP = parse("192.168.1.2");

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    /** Every finished trace of {@code t}, joined. */
    private static String traces(DecisionTrace t) throws InterruptedException {
        List<String> all = new ArrayList<>();
        String s;
        while ((s = t.poll(0)) != null) {
            all.add(s);
        }
        return String.join("", all);
    }

    @Test
    void anL2ForwardShowsLearningAndTheEgressPort() throws Exception {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            DecisionTrace t = new DecisionTrace(BpfFilter.compile("udp port 9"), 1);
            h.pipeline.setTrace(t);
            h.send(h.p2, FrameBuilder.udp(H1, H2, H2_IP, H1_IP, 7, 9, new byte[4]));
            h.send(h.p2, FrameBuilder.udp(H1, H2, H2_IP, H1_IP, 7, 10, new byte[4])); // filtered out
            String trace = traces(t);
            assertEquals("""
                    trace 1 at p2
                      in p2: IP 192.168.15.2.7 > 192.168.15.1.9: udp len 4, ttl 64
                      BridgeInput
                      L2Learn: source 02:00:00:00:00:02 learned on p2
                      L2Forward
                      => forward to p1
                    """, trace);
        }
    }

    @Test
    void aFrameRoutedBackIntoItsOwnBridgeShowsTheRedirect() throws Exception {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            h.router.addRoute(parse("198.51.100.0"), 24, H2_IP);
            DecisionTrace t = new DecisionTrace(BpfFilter.compile("udp port 53"), 1);
            h.pipeline.setTrace(t);
            h.send(h.p1, FrameBuilder.withOptions(FrameBuilder.udp(GW1, H1, H1_IP, parse("198.51.100.7"), 4000, 53,
                    new byte[4]), 7, 7, 4, 0, 0, 0, 0));
            String trace = traces(t);
            assertTrue(trace.contains("Ipv4Forward: route 198.51.100.0/24 via 192.168.15.2 dev br1, next hop "
                    + "192.168.15.2, ttl now 63, IP options stamped; back out where it came in: the sender was told "
                    + "(ICMP redirect)"), trace);
        }
    }

    @Test
    void aRoutedMasqueradedFrameShowsRouteNeighborAndTheRewrite() throws Exception {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            DecisionTrace t = new DecisionTrace(CaptureFilter.ALL, 1);
            h.pipeline.setTrace(t);
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40000, 9000, "q".getBytes()));
            String trace = traces(t);
            assertTrue(trace.startsWith("trace 1 at p1\n"), trace);
            assertTrue(trace.contains("L2Forward\n  => forward to gw:br1 (inside vnet: continues there)\n"), trace);
            assertTrue(trace.contains("trace 1 at gw:br1\n"), "the router's part keeps the number: " + trace);
            assertTrue(trace.contains("Ipv4Forward: route 192.168.1.0/24 dev uplink, next hop 192.168.1.3, ttl now 63"),
                    trace);
            assertTrue(trace.contains("ConntrackIn: new connection\n"), trace);
            assertTrue(trace.contains("rewritten: 192.168.15.1:40000 > 192.168.1.3:9000  =>  "
                    + "192.168.1.2:40000 > 192.168.1.3:9000"), "MASQUERADE before and after: " + trace);
            assertTrue(trace.contains("NeighborOutput: neighbor 192.168.1.3 REACHABLE"), trace);
            assertTrue(trace.endsWith("=> forward to uplink\n"), trace);
        }
    }

    @Test
    void aDnatFrameShowsTheForwardAndTheNewDestination() throws Exception {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            DecisionTrace t = new DecisionTrace(BpfFilter.compile("tcp dst port 80"), 1);
            h.pipeline.setTrace(t);
            h.send(h.uplink, FrameBuilder.tcp(GW_UPLINK, LAN, LAN_IP, UP_IP, 33000, 80, Tcp.SYN, new byte[0]));
            String trace = traces(t);
            assertTrue(trace.contains("ConntrackIn: new connection, matched a port forward (DNAT applied)"), trace);
            assertTrue(trace.contains("rewritten: 192.168.1.3:33000 > 192.168.1.2:80  =>  "
                    + "192.168.1.3:33000 > 192.168.15.2:80"), trace);
            assertTrue(trace.endsWith("=> forward to p2\n"), "through the bridge to blue: " + trace);
        }
    }

    @Test
    void aHeldFragmentIsTracedWhenHeldAndAgainWhenItResumes() throws Exception {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            DecisionTrace t = new DecisionTrace(CaptureFilter.ALL, 4);
            h.pipeline.setTrace(t);
            List<ByteBuf> two = FrameBuilder.fragments(FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40000, 9000,
                    new byte[1200]), 800);
            h.send(h.p1, two.get(1)); // the second fragment overtakes the first
            h.send(h.p1, two.get(0));
            String trace = traces(t);
            assertTrue(trace.contains("ConntrackIn: a fragment that overtook its datagram's first fragment: held until "
                    + "that one comes\n  => held by the dataplane"), "held: " + trace);
            assertTrue(trace.contains("resumed on gw:br1: "), "it goes on where it was held: " + trace);
            assertTrue(trace.contains("FragmentResume: a fragment that waited for its datagram's first fragment, "
                    + "resumed on br1\n  ConntrackIn: a later fragment: follows its datagram's connection\n"
                    + "    rewritten: 192.168.15.1 > 192.168.1.3  =>  192.168.1.2 > 192.168.1.3\n"),
                    "translated as its first fragment's connection: " + trace);
            assertEquals(2, h.sent(h.uplink).size(), "both fragments went out");
        }
    }

    @Test
    void aDroppedFrameShowsTheStageAndTheReason() throws Exception {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            DecisionTrace t = new DecisionTrace(CaptureFilter.ALL, 2);
            h.pipeline.setTrace(t);
            ByteBuf ttl1 = FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40000, 9000, new byte[4]);
            ttl1.setByte(14 + dev.vnet.dataplane.wire.Ipv4.TTL, 1);
            dev.vnet.dataplane.wire.Ipv4.updateChecksum(ttl1, 14);
            h.send(h.p1, ttl1);
            String trace = traces(t);
            assertTrue(trace.contains("Ipv4Forward\n  IcmpError: ICMP time exceeded in-transit sent to 192.168.15.1\n"
                    + "  => drop: ttl-exceeded\n"), "the drop, after the time exceeded sent back: " + trace);
        }
    }

    @Test
    void anIpv6FrameThroughNat66ShowsItsStagesFromInputToNeighbour() throws Exception {
        try (RouterHarness h = new RouterHarness()) {
            var br1 = h.router.interfaces().get(0);
            var br2 = h.router.interfaces().get(1);
            h.router.addAddress6(br1, dev.vnet.dataplane.wire.Ipv6Cidr.parse("fd00:15::5/64"));
            h.router.addAddress6(br2, dev.vnet.dataplane.wire.Ipv6Cidr.parse("fd00:16::5/64"));
            h.router.natRules().add(new dev.vnet.dataplane.nat.NatRules.Masquerade6(
                    dev.vnet.dataplane.wire.Ipv6Cidr.parse("fd00:15::/64"), br2.index()));
            var red = dev.vnet.dataplane.wire.Ipv6Address.parse("fd00:15::1");
            var far = dev.vnet.dataplane.wire.Ipv6Address.parse("fd00:16::3");
            h.router.neighbors6().confirm(far.hi(), far.lo(), RouterHarness.H3, br2.index(), h.clock.nanos(), true,
                    (f, o) -> { });
            DecisionTrace t = new DecisionTrace(BpfFilter.compile("ip6 and udp port 53"), 1);
            h.pipeline.setTrace(t);
            h.send(h.p1, dev.vnet.dataplane.testing.Frames6.udp(GW1, H1, red, far, 4000, 53, new byte[4]));
            String trace = traces(t);
            assertTrue(trace.contains("Conntrack6In: new connection"), trace);
            assertTrue(trace.contains("Ipv6Forward: route fd00:16::/64 dev br2, next hop fd00:16::3, hop limit now 63"),
                    trace);
            assertTrue(trace.contains("NatOut6: source translated to fd00:16::5 port 4000, connection recorded"), trace);
            assertTrue(trace.contains("Neighbor6Output: neighbour fd00:16::3 REACHABLE"), trace);
            assertTrue(trace.contains("=> flood to p3"), "br2 has not heard from the host yet: " + trace);
        }
    }
}
