package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.ConntrackTimeouts;
import dev.vnet.dataplane.nat.NatRules;
import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.testing.RouterHarness;
import dev.vnet.dataplane.wire.Checksum;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Tcp;
import dev.vnet.dataplane.wire.Udp;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.vnet.dataplane.testing.RouterHarness.GW1;
import static dev.vnet.dataplane.testing.RouterHarness.GW_UPLINK;
import static dev.vnet.dataplane.testing.RouterHarness.H1;
import static dev.vnet.dataplane.testing.RouterHarness.H2;
import static dev.vnet.dataplane.testing.RouterHarness.LAN;
import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** MASQUERADE, DNAT and hairpin on real frames through the router; every checksum verified independently. */
class NatStageTest {
    private static final int IP = Ethernet.HEADER_LEN;
    private static final int L4 = IP + 20;
    private static final int H1_IP = parse("192.168.15.1");
    private static final int H2_IP = parse("192.168.15.2");
    private static final int GW1_IP = parse("192.168.15.5");
    private static final int UP_IP = parse("192.168.1.2");
    private static final int LAN_IP = parse("192.168.1.3");

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    private static void assertChecksums(ByteBuf f) {
        assertNull(Ipv4.check(f, IP, f.readableBytes() - IP), "IPv4 header checksum");
        int len = Ipv4.totalLength(f, IP) - 20;
        int proto = Ipv4.protocol(f, IP);
        if (proto == Ipv4.PROTO_ICMP) {
            assertNull(Icmp4.check(f, L4, len), "ICMP checksum");
        } else {
            int sum = Checksum.add(f, L4, len, Checksum.pseudoHeader(Ipv4.src(f, IP), Ipv4.dst(f, IP), proto, len));
            assertEquals(0xFFFF, Checksum.fold(sum), (proto == 6 ? "TCP" : "UDP") + " checksum with pseudo-header");
        }
    }

    private static ByteBuf only(List<ByteBuf> frames) {
        assertEquals(1, frames.size(), "exactly one frame");
        return frames.get(0);
    }

    /** {@code whole} (an unfragmented IPv4 frame, UDP) cut in two fragments at payload byte {@code at} (a multiple of 8). */
    private static List<ByteBuf> fragments(ByteBuf whole, int at) {
        int total = Ipv4.totalLength(whole, IP);
        int payload = total - 20;
        ByteBuf first = FrameBuilder.of(new byte[L4 + at]);
        first.setBytes(0, whole, 0, L4 + at);
        first.setShort(IP + Ipv4.TOTAL_LENGTH, 20 + at);
        first.setShort(IP + Ipv4.FLAGS_FRAGMENT, Ipv4.FLAG_MF);
        Ipv4.updateChecksum(first, IP);
        ByteBuf second = FrameBuilder.of(new byte[L4 + payload - at]);
        second.setBytes(0, whole, 0, L4);
        second.setBytes(L4, whole, L4 + at, payload - at);
        second.setShort(IP + Ipv4.TOTAL_LENGTH, 20 + payload - at);
        second.setShort(IP + Ipv4.FLAGS_FRAGMENT, at / 8);
        Ipv4.updateChecksum(second, IP);
        whole.release();
        return List.of(first, second);
    }

    /**
     * The fragments, in offset order and none missing, put back together (as the receiving kernel would), every
     * header and the transport checksum checked.
     */
    private static void assertReassemblesWithValidChecksums(List<ByteBuf> fragments) {
        assertTrue(fragments.size() >= 2, "the fragments came through");
        ByteBuf first = fragments.get(0);
        int total = 0;
        for (ByteBuf f : fragments) {
            assertEquals(Ipv4.id(first, IP), Ipv4.id(f, IP), "one datagram");
            assertEquals(Ipv4.src(first, IP), Ipv4.src(f, IP), "the same source on every fragment");
            assertEquals(Ipv4.dst(first, IP), Ipv4.dst(f, IP), "the same destination on every fragment");
            assertEquals(total, offset(f), "in order, none missing");
            assertNull(Ipv4.check(f, IP, f.readableBytes() - IP));
            total += Ipv4.totalLength(f, IP) - 20;
        }
        assertEquals(0, Ipv4.flagsFragment(fragments.get(fragments.size() - 1), IP) & Ipv4.FLAG_MF, "the last one");
        ByteBuf whole = FrameBuilder.of(new byte[L4 + total]);
        whole.setBytes(0, first, 0, L4);
        for (ByteBuf f : fragments) {
            whole.setBytes(L4 + offset(f), f, L4, Ipv4.totalLength(f, IP) - 20);
        }
        whole.setShort(IP + Ipv4.TOTAL_LENGTH, 20 + total);
        whole.setShort(IP + Ipv4.FLAGS_FRAGMENT, 0);
        Ipv4.updateChecksum(whole, IP);
        assertChecksums(whole);
        whole.release();
    }

    @Test
    void aFragmentedDatagramIsTranslatedFragmentByFragmentBothWays() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            for (ByteBuf f : fragments(FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40000, 9000, new byte[1200]), 800)) {
                h.send(h.p1, f);
            }
            List<ByteBuf> out = h.sent(h.uplink);
            assertEquals(UP_IP, Ipv4.src(out.get(0), IP), "masqueraded");
            assertReassemblesWithValidChecksums(out);
            int natPort = Udp.srcPort(out.get(0), L4);
            // The answer, fragmented too, comes back to the uplink's address and goes to h1, every fragment.
            for (ByteBuf f : fragments(FrameBuilder.udp(GW_UPLINK, LAN, LAN_IP, UP_IP, 9000, natPort, new byte[1200]),
                    800)) {
                h.send(h.uplink, f);
            }
            List<ByteBuf> back = h.sent(h.p1);
            assertEquals(H1_IP, Ipv4.dst(back.get(0), IP), "translated back");
            assertEquals(40000, Udp.dstPort(back.get(0), L4));
            assertReassemblesWithValidChecksums(back);
            assertEquals(0, h.gw1Port.counters().drops(DropReason.FRAGMENT_NOT_TRANSLATED)
                    + h.uplink.counters().drops(DropReason.FRAGMENT_NOT_TRANSLATED));
            h.assertCountersAddUp();
        }
    }

    private static int offset(ByteBuf f) {
        return (Ipv4.flagsFragment(f, IP) & Ipv4.FRAGMENT_OFFSET_MASK) * 8;
    }

    @Test
    void fragmentsThatOvertakeTheirFirstWaitForItAndFollowItThroughMasqueradeBothWays() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            List<ByteBuf> three = FrameBuilder.fragments(FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40000, 9000, new byte[1800]),
                    800);
            // The last, then the middle, then the first: the two wait, and follow the first in the order they came.
            h.send(h.p1, three.get(2));
            h.send(h.p1, three.get(1));
            assertTrue(h.sent(h.uplink).isEmpty(), "nothing leaves before the first fragment");
            assertEquals(2, h.router.fragmentsWaiting());
            h.send(h.p1, three.get(0));
            List<ByteBuf> out = h.sent(h.uplink);
            assertEquals(List.of(0, 1600, 800), out.stream().map(NatStageTest::offset).toList(),
                    "the first, then the held ones as they came");
            for (ByteBuf f : out) {
                assertEquals(UP_IP, Ipv4.src(f, IP), "every fragment masqueraded");
            }
            assertReassemblesWithValidChecksums(List.of(out.get(0), out.get(2), out.get(1)));
            assertEquals(0, h.router.fragmentsWaiting());
            int natPort = Udp.srcPort(out.get(0), L4);
            // The answer's second fragment comes first too: it waits, then follows the first back to h1.
            List<ByteBuf> answer = FrameBuilder.fragments(FrameBuilder.udp(GW_UPLINK, LAN, LAN_IP, UP_IP, 9000, natPort,
                    new byte[1200]), 800);
            h.send(h.uplink, answer.get(1));
            assertTrue(h.sent(h.p1).isEmpty(), "held");
            h.send(h.uplink, answer.get(0));
            List<ByteBuf> back = h.sent(h.p1);
            assertEquals(H1_IP, Ipv4.dst(back.get(0), IP), "translated back");
            assertEquals(H1_IP, Ipv4.dst(back.get(1), IP), "the held fragment too");
            assertEquals(40000, Udp.dstPort(back.get(0), L4));
            assertReassemblesWithValidChecksums(back);
            assertEquals(3, h.router.fragmentsHeld(), "three fragments waited");
            assertEquals(0, h.gw1Port.counters().dropsTotal() + h.uplink.counters().dropsTotal());
            h.assertCountersAddUp();
        }
    }

    @Test
    void aFragmentThatOvertakesItsFirstToAPortForwardReachesTheTarget() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            List<ByteBuf> two = FrameBuilder.fragments(FrameBuilder.udp(GW_UPLINK, LAN, LAN_IP, UP_IP, 7000, 5353,
                    new byte[1200]), 800);
            h.send(h.uplink, two.get(1));
            h.send(h.uplink, two.get(0));
            List<ByteBuf> out = h.sent(h.p2);
            assertEquals(2, out.size(), "both fragments reached h2");
            assertEquals(0, offset(out.get(0)));
            assertEquals(H2_IP, Ipv4.dst(out.get(1), IP), "the held fragment got the forward's address");
            assertEquals(53, Udp.dstPort(out.get(0), L4));
            assertReassemblesWithValidChecksums(out);
            h.assertCountersAddUp();
        }
    }

    @Test
    void fragmentsToTheRouterItselfAreNotKeptWaitingOnceTheirFirstWasTaken() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            // A big ping to the gateway, its last fragment first: that one waits for the first (addressed to the
            // router, it might have been for a port forward); then all three reach the router, which answers.
            List<ByteBuf> ping = FrameBuilder.fragments(FrameBuilder.icmpEcho(GW1, H1, H1_IP, GW1_IP, 7, 1,
                    new byte[1800]), 800);
            h.send(h.p1, ping.get(2));
            h.send(h.p1, ping.get(0));
            h.send(h.p1, ping.get(1)); // after the first: follows it at once
            assertEquals(1, h.router.fragmentsHeld(), "only the one that overtook its first waited");
            assertEquals(0, h.router.fragmentsWaiting());
            assertEquals(0, h.gw1Port.counters().dropsTotal());
            List<ByteBuf> reply = h.sent(h.p1);
            assertEquals(2, reply.size(), "the echo reply, fragmented for br1's MTU");
            assertEquals(GW1_IP, Ipv4.src(reply.get(0), IP));
            assertEquals(Icmp4.TYPE_ECHO_REPLY, Icmp4.type(reply.get(0), L4));
            h.assertCountersAddUp();
        }
    }

    @Test
    void theHoldIsBoundedAndFragmentsWhoseFirstNeverComesAreDroppedAfterTwoSeconds() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            for (int id = 0; id <= FragmentTable.HOLD_MAX; id++) {
                List<ByteBuf> two = FrameBuilder.fragments(FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40000, 9000,
                        new byte[1200]), 800);
                two.get(0).release(); // only the second fragment of each datagram is sent
                ByteBuf f = two.get(1);
                f.setShort(IP + Ipv4.ID, id);
                Ipv4.updateChecksum(f, IP);
                h.send(h.p1, f);
            }
            assertEquals(FragmentTable.HOLD_MAX, h.router.fragmentsWaiting());
            assertEquals(1, h.gw1Port.counters().drops(DropReason.FRAGMENT_HOLD_FULL), "one more than the hold takes");
            h.clock.advance(2, TimeUnit.SECONDS);
            h.tick();
            assertEquals(0, h.router.fragmentsWaiting());
            assertEquals(FragmentTable.HOLD_MAX, h.gw1Port.counters().drops(DropReason.FRAGMENT_TIMEOUT));
            assertTrue(h.sent(h.uplink).isEmpty(), "none went out untranslated");
            h.assertCountersAddUp();
        }
    }

    @Test
    void aHeldFragmentIsCapturedOnceWhenItCameInNotAgainWhenItResumes() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            dev.vnet.dataplane.trace.Capture c = new dev.vnet.dataplane.trace.Capture(1,
                    dev.vnet.dataplane.trace.Capture.IN | dev.vnet.dataplane.trace.Capture.OUT,
                    dev.vnet.dataplane.trace.CaptureFilter.ALL, 64, 65535);
            h.pipeline.attachments().addCapture(h.p1, c);
            h.pipeline.attachments().addCapture(h.gw1Port, c);
            List<ByteBuf> two = FrameBuilder.fragments(FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40000, 9000, new byte[1200]), 800);
            h.send(h.p1, two.get(1));
            h.send(h.p1, two.get(0));
            assertEquals(2, h.sent(h.uplink).size());
            List<String> seen = new java.util.ArrayList<>();
            try {
                c.drain((port, name, direction, data, length, wire, nanos, why, detail) -> seen.add(name + " " + direction));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            String in = " " + dev.vnet.dataplane.trace.Capture.IN;
            // Each fragment once in on p1 and once handed to the router on br1 (a router port sees what the bridge
            // gives it as "in"); the held one is not captured again, on either, when it resumes.
            assertEquals(List.of("p1" + in, "gw:br1" + in, "p1" + in, "gw:br1" + in), seen);
        }
    }

    @Test
    void masqueradeRewritesTheSourceAndTranslatesRepliesBack() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40000, 9000, "query".getBytes()));
            ByteBuf out = only(h.sent(h.uplink));
            assertEquals(UP_IP, Ipv4.src(out, IP), "the uplink's address as source");
            assertEquals(40000, Udp.srcPort(out, L4), "the original port is kept while unique");
            assertEquals(LAN, Ethernet.dst(out, 0));
            assertChecksums(out);
            h.send(h.uplink, FrameBuilder.udp(GW_UPLINK, LAN, LAN_IP, UP_IP, 9000, 40000, "answer".getBytes()));
            ByteBuf back = only(h.sent(h.p1));
            assertEquals(LAN_IP, Ipv4.src(back, IP));
            assertEquals(H1_IP, Ipv4.dst(back, IP), "translated back to the inside host");
            assertEquals(40000, Udp.dstPort(back, L4));
            assertChecksums(back);
            assertEquals(1, h.router.conntrack().size());
            h.assertCountersAddUp();
        }
    }

    @Test
    void twoInsideHostsWithTheSameSourcePortBothWork() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 33000, 8080, Tcp.SYN, new byte[0]));
            h.send(h.p2, FrameBuilder.tcp(GW1, H2, H2_IP, LAN_IP, 33000, 8080, Tcp.SYN, new byte[0]));
            List<ByteBuf> out = h.sent(h.uplink);
            assertEquals(2, out.size());
            int port1 = Tcp.srcPort(out.get(0), L4);
            int port2 = Tcp.srcPort(out.get(1), L4);
            assertEquals(33000, port1);
            assertNotEquals(port1, port2, "the colliding tuple got another port");
            out.forEach(NatStageTest::assertChecksums);
            h.send(h.uplink, FrameBuilder.tcp(GW_UPLINK, LAN, LAN_IP, UP_IP, 8080, port2, Tcp.SYN | Tcp.ACK_FLAG,
                    new byte[0]));
            ByteBuf toH2 = only(h.sent(h.p2));
            assertEquals(H2_IP, Ipv4.dst(toH2, IP));
            assertEquals(33000, Tcp.dstPort(toH2, L4));
            assertChecksums(toH2);
            assertEquals(0, h.sent(h.p1).size());
        }
    }

    @Test
    void portForwardReachesTheTargetWithTheClientsRealAddress() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            h.send(h.uplink, FrameBuilder.tcp(GW_UPLINK, LAN, LAN_IP, UP_IP, 50000, 80, Tcp.SYN, new byte[0]));
            ByteBuf in = only(h.sent(h.p2));
            assertEquals(LAN_IP, Ipv4.src(in, IP), "the server sees the client");
            assertEquals(H2_IP, Ipv4.dst(in, IP));
            assertEquals(80, Tcp.dstPort(in, L4));
            assertChecksums(in);
            h.send(h.p2, FrameBuilder.tcp(GW1, H2, H2_IP, LAN_IP, 80, 50000, Tcp.SYN | Tcp.ACK_FLAG, new byte[0]));
            ByteBuf reply = only(h.sent(h.uplink));
            assertEquals(UP_IP, Ipv4.src(reply, IP), "the reply comes from the forwarded address");
            assertEquals(80, Tcp.srcPort(reply, L4));
            assertChecksums(reply);
        }
    }

    @Test
    void udpPortForwardTranslatesThePort() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            h.send(h.uplink, FrameBuilder.udp(GW_UPLINK, LAN, LAN_IP, UP_IP, 6000, 5353, "dns?".getBytes()));
            ByteBuf in = only(h.sent(h.p2));
            assertEquals(53, Udp.dstPort(in, L4));
            assertChecksums(in);
            h.send(h.p2, FrameBuilder.udp(GW1, H2, H2_IP, LAN_IP, 53, 6000, "dns!".getBytes()));
            ByteBuf reply = only(h.sent(h.uplink));
            assertEquals(5353, Udp.srcPort(reply, L4));
            assertEquals(UP_IP, Ipv4.src(reply, IP));
            assertChecksums(reply);
        }
    }

    @Test
    void hairpinReachesTheTargetAndTheReplyReturnsThroughTheRouter() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, UP_IP, 41000, 80, Tcp.SYN, new byte[0]));
            ByteBuf in = only(h.sent(h.p2));
            assertEquals(H2_IP, Ipv4.dst(in, IP));
            assertEquals(GW1_IP, Ipv4.src(in, IP), "source rewritten to the gateway so h2 answers via vnet");
            assertChecksums(in);
            int port = Tcp.srcPort(in, L4);
            h.send(h.p2, FrameBuilder.tcp(GW1, H2, H2_IP, GW1_IP, 80, port, Tcp.SYN | Tcp.ACK_FLAG, new byte[0]));
            ByteBuf reply = only(h.sent(h.p1));
            assertEquals(UP_IP, Ipv4.src(reply, IP), "h1 sees the address it connected to");
            assertEquals(80, Tcp.srcPort(reply, L4));
            assertEquals(H1_IP, Ipv4.dst(reply, IP));
            assertEquals(41000, Tcp.dstPort(reply, L4));
            assertChecksums(reply);
        }
    }

    @Test
    void pingThroughMasqueradeIsTranslatedByIdentifier() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            h.send(h.p1, FrameBuilder.icmpEcho(GW1, H1, H1_IP, LAN_IP, 0x0777, 1, "ping".getBytes()));
            ByteBuf out = only(h.sent(h.uplink));
            assertEquals(UP_IP, Ipv4.src(out, IP));
            assertChecksums(out);
            int id = Icmp4.echoId(out, L4);
            ByteBuf reply = FrameBuilder.icmpEcho(GW_UPLINK, LAN, LAN_IP, UP_IP, id, 1, "ping".getBytes());
            reply.setByte(L4 + Icmp4.TYPE, Icmp4.TYPE_ECHO_REPLY);
            Icmp4.updateChecksum(reply, L4, 12);
            h.send(h.uplink, reply);
            ByteBuf back = only(h.sent(h.p1));
            assertEquals(H1_IP, Ipv4.dst(back, IP));
            assertEquals(0x0777, Icmp4.echoId(back, L4));
            assertEquals(Icmp4.TYPE_ECHO_REPLY, Icmp4.type(back, L4));
            assertChecksums(back);
        }
    }

    @Test
    void aFullTableRefusesNewConnectionsAndKeepsExistingOnes() {
        try (RouterHarness h = new RouterHarness(2).withSeedNat()) {
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 1001, 9000, new byte[4]));
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 1002, 9000, new byte[4]));
            // Both answered (an unanswered one would be given up for the new connection: see ConntrackTest).
            for (ByteBuf out : h.sent(h.uplink)) {
                h.send(h.uplink, FrameBuilder.udp(GW_UPLINK, LAN, LAN_IP, Ipv4.src(out, IP), 9000,
                        Udp.srcPort(out, L4), new byte[4]));
            }
            h.sent(h.p1);
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 1003, 9000, new byte[4]));
            assertEquals(0, h.sent(h.uplink).size(), "the third new connection was refused");
            assertEquals(1, h.gw1Port.counters().drops(DropReason.CONNTRACK_FULL));
            assertEquals(2, h.router.conntrack().size(), "the bound holds");
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 1001, 9000, new byte[4]));
            assertEquals(1, h.sent(h.uplink).size(), "an existing connection keeps working");
            assertEquals(ConnTable.NONE, h.router.conntrack().lookup(
                    dev.vnet.dataplane.conntrack.FlowKey.hi(H1_IP, LAN_IP),
                    dev.vnet.dataplane.conntrack.FlowKey.lo(17, 1003, 9000), h.clock.nanos()));
        }
    }

    @Test
    void configuredTimeoutsDecideWhenAnIdleConnectionIsForgotten() {
        ConntrackTimeouts timeouts = ConntrackTimeouts.defaults().with("udp", 5).with("tcp-syn-sent", 7);
        try (RouterHarness h = new RouterHarness(new RouterLimits(16, 1024, 1024, timeouts)).withSeedNat()) {
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 1001, 9000, new byte[4]));
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 33000, 8080, Tcp.SYN, new byte[0]));
            assertEquals(2, h.sent(h.uplink).size());
            h.clock.advance(4, TimeUnit.SECONDS);
            h.router.conntrack().expire(h.clock.nanos());
            assertEquals(2, h.router.conntrack().size(), "both kept at 4 s");
            h.clock.advance(2, TimeUnit.SECONDS);
            h.router.conntrack().expire(h.clock.nanos());
            assertEquals(1, h.router.conntrack().size(), "the UDP flow (udp: 5 s) is gone at 6 s, the SYN is not");
            h.clock.advance(2, TimeUnit.SECONDS);
            h.router.conntrack().expire(h.clock.nanos());
            assertEquals(0, h.router.conntrack().size(), "the SYN_SENT connection (tcp-syn-sent: 7 s) is gone at 8 s");
        }
    }

    /** The quote inside an ICMP error must itself be a sound packet: IPv4 header and UDP checksum verify. */
    private static void assertQuoteSound(ByteBuf err) {
        int inner = L4 + 8;
        assertNull(Ipv4.check(err, inner, Ipv4.totalLength(err, inner)), "quoted IPv4 header");
        int len = Ipv4.totalLength(err, inner) - 20;
        int sum = Checksum.add(err, inner + 20, len, Checksum.pseudoHeader(Ipv4.src(err, inner), Ipv4.dst(err, inner),
                Ipv4.protocol(err, inner), len));
        assertEquals(0xFFFF, Checksum.fold(sum), "quoted transport checksum");
    }

    @Test
    void anIcmpErrorAboutAMasqueradedPacketReachesTheInsideHostTranslated() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40000, 9999, "anyone?".getBytes()));
            ByteBuf leaving = only(h.sent(h.uplink));
            // lan's kernel: port unreachable, to the address it saw, quoting what it got.
            h.send(h.uplink, FrameBuilder.icmpError(GW_UPLINK, LAN, LAN_IP, UP_IP, Icmp4.TYPE_DEST_UNREACHABLE, 3, leaving));
            ByteBuf err = only(h.sent(h.p1));
            assertEquals(H1_IP, Ipv4.dst(err, IP), "to the inside host");
            assertEquals(LAN_IP, Ipv4.src(err, IP));
            int inner = L4 + 8;
            assertEquals(H1_IP, Ipv4.src(err, inner), "the quote shows the packet as h1 sent it");
            assertEquals(40000, Udp.srcPort(err, inner + 20));
            assertEquals(LAN_IP, Ipv4.dst(err, inner));
            assertChecksums(err);
            assertQuoteSound(err);
        }
    }

    @Test
    void aProtocolWithoutPortsIsMasqueradedByItsAddressesAndItsRepliesAndErrorsComeBack() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            byte[] gre = {0, 0, 0x08, 0x00, 1, 2, 3, 4}; // a GRE header (IPv4 inside) and the start of a packet
            h.send(h.p1, FrameBuilder.ipv4(GW1, H1, H1_IP, LAN_IP, 47, gre));
            ByteBuf out = only(h.sent(h.uplink));
            assertEquals(UP_IP, Ipv4.src(out, IP), "masqueraded (was: sent with the inside address)");
            assertNull(Ipv4.check(out, IP, out.readableBytes() - IP), "IPv4 header and checksum sound");
            byte[] carried = new byte[gre.length];
            out.getBytes(L4, carried);
            assertArrayEquals(gre, carried, "the GRE payload untouched");
            var c = h.router.conntrack();
            assertEquals(1, c.size());
            // The reply, to the uplink's address, goes back to h1.
            h.send(h.uplink, FrameBuilder.ipv4(GW_UPLINK, LAN, LAN_IP, UP_IP, 47, gre));
            ByteBuf back = only(h.sent(h.p1));
            assertEquals(H1_IP, Ipv4.dst(back, IP), "translated back");
            assertNull(Ipv4.check(back, IP, back.readableBytes() - IP));
            // lan's answer that it does not speak the protocol reaches h1 too, quoting what h1 sent.
            h.send(h.p1, FrameBuilder.ipv4(GW1, H1, H1_IP, LAN_IP, 47, gre));
            ByteBuf again = only(h.sent(h.uplink));
            h.send(h.uplink, FrameBuilder.icmpError(GW_UPLINK, LAN, LAN_IP, UP_IP, Icmp4.TYPE_DEST_UNREACHABLE, 2, again));
            ByteBuf err = only(h.sent(h.p1));
            assertEquals(H1_IP, Ipv4.dst(err, IP), "protocol unreachable to the inside host");
            assertEquals(H1_IP, Ipv4.src(err, L4 + 8), "the quote as h1 sent it");
            assertNull(Ipv4.check(err, L4 + 8, Ipv4.totalLength(err, L4 + 8)), "quoted IPv4 header");
            assertChecksums(err);
            assertEquals(1, c.size(), "one connection throughout");
            h.assertCountersAddUp();
        }
    }

    /** An ICMP query of {@code type} (echo, timestamp, ...) with identifier {@code id}, checksum right. */
    private static ByteBuf icmpQuery(long dstMac, long srcMac, int from, int to, int type, int id) {
        ByteBuf f = FrameBuilder.icmpEcho(dstMac, srcMac, from, to, id, 1, new byte[12]); // a timestamp's 3 words
        f.setByte(L4 + Icmp4.TYPE, type);
        Icmp4.updateChecksum(f, L4, Ipv4.totalLength(f, IP) - 20);
        return f;
    }

    @Test
    void icmpTimestampQueriesFromTwoHostsWithOneIdentifierAreMasqueradedApartAndAnswered() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            // Timestamp requests (13) are tracked by identifier as echo requests are, so two inside hosts using the
            // same identifier get different ones outside (was: sent out untracked, with the inside addresses).
            h.send(h.p1, icmpQuery(GW1, H1, H1_IP, LAN_IP, 13, 77));
            h.send(h.p2, icmpQuery(GW1, H2, H2_IP, LAN_IP, 13, 77));
            List<ByteBuf> out = h.sent(h.uplink);
            assertEquals(2, out.size());
            int id1 = Icmp4.echoId(out.get(0), L4);
            int id2 = Icmp4.echoId(out.get(1), L4);
            for (ByteBuf f : out) {
                assertEquals(UP_IP, Ipv4.src(f, IP), "masqueraded");
                assertChecksums(f);
            }
            assertNotEquals(id1, id2, "told apart by identifier");
            // The timestamp replies (14) find their way back, each to its host with its own identifier.
            h.send(h.uplink, icmpQuery(GW_UPLINK, LAN, LAN_IP, UP_IP, 14, id2));
            h.send(h.uplink, icmpQuery(GW_UPLINK, LAN, LAN_IP, UP_IP, 14, id1));
            ByteBuf toH1 = only(h.sent(h.p1));
            ByteBuf toH2 = only(h.sent(h.p2));
            assertEquals(H1_IP, Ipv4.dst(toH1, IP));
            assertEquals(H2_IP, Ipv4.dst(toH2, IP));
            assertEquals(77, Icmp4.echoId(toH1, L4));
            assertEquals(77, Icmp4.echoId(toH2, L4));
            assertEquals(14, Icmp4.type(toH1, L4));
            assertChecksums(toH1);
            assertChecksums(toH2);
            h.assertCountersAddUp();
        }
    }

    @Test
    void aSecondInsideHostOnTheSamePortlessProtocolToTheSameAddressIsRefusedByName() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            byte[] esp = {0, 0, 0, 1, 0, 0, 0, 1};
            h.send(h.p1, FrameBuilder.ipv4(GW1, H1, H1_IP, LAN_IP, 50, esp));
            assertEquals(UP_IP, Ipv4.src(only(h.sent(h.uplink)), IP));
            h.send(h.p2, FrameBuilder.ipv4(GW1, H2, H2_IP, LAN_IP, 50, esp));
            assertTrue(h.sent(h.uplink).isEmpty(), "no port to tell the replies apart: not sent");
            assertEquals(1, h.gw1Port.counters().drops(DropReason.NAT_TUPLE_TAKEN));
            h.assertCountersAddUp();
        }
    }

    @Test
    void anIcmpErrorFromAForwardedTargetLeavesAsTheForwardedAddress() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            h.send(h.uplink, FrameBuilder.udp(GW_UPLINK, LAN, LAN_IP, UP_IP, 6000, 5353, "dns?".getBytes()));
            ByteBuf arrived = only(h.sent(h.p2));
            // h2 has nothing on port 53: it answers port unreachable to lan, quoting the DNATed packet.
            h.send(h.p2, FrameBuilder.icmpError(GW1, H2, H2_IP, LAN_IP, Icmp4.TYPE_DEST_UNREACHABLE, 3, arrived));
            ByteBuf err = only(h.sent(h.uplink));
            assertEquals(UP_IP, Ipv4.src(err, IP), "lan hears from the address it sent to");
            assertEquals(LAN_IP, Ipv4.dst(err, IP));
            int inner = L4 + 8;
            assertEquals(UP_IP, Ipv4.dst(err, inner), "the quote shows the packet as lan sent it");
            assertEquals(5353, Udp.dstPort(err, inner + 20));
            assertChecksums(err);
            assertQuoteSound(err);
        }
    }

    @Test
    void aForwardThatLeavesThroughAMasqueradePortIsTranslatedBothWaysConsistently() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            // The gateway's tcp/8080 forwarded to lan's port 80: inside in, out through the masqueraded uplink.
            h.router.natRules().add(new NatRules.PortForward(6, GW1_IP, 8080, 8080, LAN_IP, 80));
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, GW1_IP, 45000, 8080, Tcp.SYN, new byte[0]));
            ByteBuf out = only(h.sent(h.uplink));
            assertEquals(UP_IP, Ipv4.src(out, IP), "masqueraded on the way out");
            assertEquals(LAN_IP, Ipv4.dst(out, IP), "to the forward's target");
            assertEquals(80, Tcp.dstPort(out, L4));
            assertChecksums(out);
            h.send(h.uplink, FrameBuilder.tcp(GW_UPLINK, LAN, LAN_IP, UP_IP, 80, Tcp.srcPort(out, L4),
                    Tcp.SYN | Tcp.ACK_FLAG, new byte[0]));
            ByteBuf back = only(h.sent(h.p1));
            assertEquals(GW1_IP, Ipv4.src(back, IP), "h1 hears from the address it connected to");
            assertEquals(8080, Tcp.srcPort(back, L4));
            assertEquals(H1_IP, Ipv4.dst(back, IP));
            assertEquals(45000, Tcp.dstPort(back, L4));
            assertChecksums(back);
            assertEquals(1, h.router.conntrack().size(), "one connection carries both translations");
        }
    }

    @Test
    void portExhaustionDropsWithANamedReasonAndNothingBreaks() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            // Source ports below 512 share the class 1-511: flows from two hosts to one server port fill it (the
            // bounded search gives up before the very last ports are taken, as netfilter's does).
            int through = 0;
            int n = 0;
            for (; n < 600 && h.gw1Port.counters().drops(DropReason.NAT_PORTS_EXHAUSTED) == 0; n++) {
                long mac = n % 2 == 0 ? H1 : H2;
                int src = n % 2 == 0 ? H1_IP : H2_IP;
                (n % 2 == 0 ? h.p1 : h.p2).inject(FrameBuilder.udp(GW1, mac, src, LAN_IP, 1 + n / 2, 9000, new byte[1]));
                through += h.sent(h.uplink).size();
            }
            assertEquals(1, h.gw1Port.counters().drops(DropReason.NAT_PORTS_EXHAUSTED), "refused with the reason");
            assertEquals(n - 1, through, "every other flow got a port");
            // How full the class gets first depends on where its free ports lie (the search looks at windows of
            // 128, 64, 32 and 16 from random offsets); the original ports 1-256 are taken first, in one block.
            // Over 200 000 simulated runs of this search, 241 to 511 flows got a port (median 453; under 300 in
            // about 1 run in 200, which is why this no longer asks for 300); the harness's seed makes it repeatable.
            assertTrue(through > 240 && through <= 511, "about half of the class or more was used: " + through);
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 300, 9001, new byte[1]));
            assertEquals(1, h.sent(h.uplink).size(), "another destination port still works");
            h.assertCountersAddUp();
        }
    }

    @Test
    void trafficToTheRouterThatNoForwardClaimsStaysLocal() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            h.send(h.uplink, FrameBuilder.tcp(GW_UPLINK, LAN, LAN_IP, UP_IP, 50000, 22, Tcp.SYN, new byte[0]));
            ByteBuf rst = only(h.sent(h.uplink));
            assertEquals(Ipv4.PROTO_TCP, Ipv4.protocol(rst, IP), "a reset: nothing forwarded, nothing listens");
            assertEquals(Tcp.RST | Tcp.ACK_FLAG, Tcp.flags(rst, L4));
            assertEquals(0, h.sent(h.p2).size());
            assertEquals(0, h.router.conntrack().size(), "not tracked");
        }
    }
}
