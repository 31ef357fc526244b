package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.testing.RouterHarness;
import dev.vnet.dataplane.wire.Arp;
import dev.vnet.dataplane.wire.Checksum;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.Tcp;
import dev.vnet.dataplane.wire.Udp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.vnet.dataplane.testing.RouterHarness.GW1;
import static dev.vnet.dataplane.testing.RouterHarness.GW2;
import static dev.vnet.dataplane.testing.RouterHarness.GW_UPLINK;
import static dev.vnet.dataplane.testing.RouterHarness.H1;
import static dev.vnet.dataplane.testing.RouterHarness.H2;
import static dev.vnet.dataplane.testing.RouterHarness.H3;
import static dev.vnet.dataplane.testing.RouterHarness.LAN;
import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouterTest {
    private static final int IP = Ethernet.HEADER_LEN;
    private static final int H1_IP = parse("192.168.15.1");
    private static final int H3_IP = parse("192.168.16.3");
    private static final int LAN_IP = parse("192.168.1.3");
    private static final int GW1_IP = parse("192.168.15.5");
    private static final int GW2_IP = parse("192.168.16.5");
    private static final int UPLINK_IP = parse("192.168.1.2");

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    /** Asserts the IPv4 header and, for ICMP/UDP/TCP, the transport checksum verify. */
    private static void assertChecksums(ByteBuf f) {
        assertNull(Ipv4.check(f, IP, f.readableBytes() - IP), "IPv4 header valid");
        int l4 = IP + Ipv4.headerLength(f, IP);
        int len = Ipv4.totalLength(f, IP) - Ipv4.headerLength(f, IP);
        if (Ipv4.protocol(f, IP) == Ipv4.PROTO_ICMP) {
            assertNull(Icmp4.check(f, l4, len), "ICMP checksum valid");
        } else if (Ipv4.protocol(f, IP) != Ipv4.PROTO_ICMP && Ipv4.hasTransportHeader(f, IP) && !Ipv4.isFragment(f, IP)) {
            int protocol = Ipv4.protocol(f, IP);
            int sum = Checksum.add(f, l4, len, Checksum.pseudoHeader(Ipv4.src(f, IP), Ipv4.dst(f, IP), protocol, len));
            assertEquals(0xFFFF, Checksum.fold(sum), (protocol == 6 ? "TCP" : "UDP") + " checksum valid");
        }
    }

    private static ByteBuf only(List<ByteBuf> frames) {
        assertEquals(1, frames.size(), "exactly one frame");
        return frames.get(0);
    }

    /** Lets the router learn h1 by h1 asking for the gateway; returns the ARP reply h1 got. */
    private static ByteBuf h1ArpsForGateway(RouterHarness h) {
        h.send(h.p1, FrameBuilder.arpRequest(H1, H1_IP, GW1_IP));
        List<ByteBuf> out = h.sent(h.p1);
        assertEquals(1, out.size(), "one ARP reply to h1");
        return out.get(0);
    }

    @Test
    void answersArpForItsAddressAndLearnsTheAsker() {
        try (RouterHarness h = new RouterHarness()) {
            ByteBuf reply = h1ArpsForGateway(h);
            assertEquals(H1, Ethernet.dst(reply, 0));
            assertEquals(GW1, Ethernet.src(reply, 0));
            assertEquals(Arp.OP_REPLY, Arp.operation(reply, IP));
            assertEquals(GW1, Arp.senderMac(reply, IP));
            assertEquals(GW1_IP, Arp.senderIp(reply, IP));
            assertEquals(H1_IP, Arp.targetIp(reply, IP));
            assertEquals(1, h.sent(h.p2).size(), "the request itself was flooded to p2 as well");
            assertEquals(NeighborTable.State.REACHABLE, h.router.neighbors().stateOf(H1_IP));
            h.assertCountersAddUp();
        }
    }

    @Test
    void ignoresArpForOtherAddressesAndClaimsOnItsOwn() {
        try (RouterHarness h = new RouterHarness()) {
            h.send(h.p1, FrameBuilder.arpRequest(H1, H1_IP, parse("192.168.15.2")));
            assertEquals(0, h.sent(h.p1).size(), "not ours: no answer");
            assertNull(h.router.neighbors().stateOf(H1_IP), "a request not for us creates no entry");
            // A gratuitous ARP claiming the gateway's address is not believed.
            h.send(h.p2, FrameBuilder.arpRequest(MacAddr.parse("02:66:66:66:66:66"), GW1_IP, GW1_IP));
            assertNull(h.router.neighbors().stateOf(GW1_IP));
            assertEquals(1, h.sent(h.p1).size(), "the claim itself is flooded to other hosts, as a bridge does");
            h.send(h.p1, FrameBuilder.arpRequest(H1, H1_IP, GW1_IP));
            ByteBuf reply = h.sent(h.p1).get(0);
            assertEquals(GW1, Arp.senderMac(reply, IP), "the gateway still answers with its own MAC");
        }
    }

    @Test
    void answersPingToTheGateway() {
        try (RouterHarness h = new RouterHarness()) {
            h1ArpsForGateway(h);
            h.send(h.p1, FrameBuilder.icmpEcho(GW1, H1, H1_IP, GW1_IP, 77, 1, "ping".getBytes()));
            List<ByteBuf> out = h.sent(h.p1);
            assertEquals(1, out.size());
            ByteBuf r = out.get(0);
            assertEquals(H1, Ethernet.dst(r, 0));
            assertEquals(GW1, Ethernet.src(r, 0));
            assertEquals(GW1_IP, Ipv4.src(r, IP));
            assertEquals(H1_IP, Ipv4.dst(r, IP));
            assertEquals(Icmp4.TYPE_ECHO_REPLY, Icmp4.type(r, IP + 20));
            assertEquals(77, Icmp4.echoId(r, IP + 20));
            assertChecksums(r);
            h.assertCountersAddUp();
        }
    }

    @Test
    void pingToAnUnknownHostWaitsForArpThenGoes() {
        try (RouterHarness h = new RouterHarness()) {
            h.send(h.p1, FrameBuilder.icmpEcho(GW1, H1, H1_IP, GW1_IP, 1, 1, new byte[8]));
            List<ByteBuf> p1 = h.sent(h.p1);
            assertEquals(1, p1.size(), "the reply cannot go yet: an ARP request for h1 is flooded instead");
            assertEquals(Ethernet.TYPE_ARP, Ethernet.type(p1.get(0), 0));
            assertEquals(MacAddr.BROADCAST, Ethernet.dst(p1.get(0), 0));
            assertEquals(H1_IP, Arp.targetIp(p1.get(0), IP));
            assertEquals(GW1_IP, Arp.senderIp(p1.get(0), IP));
            h.answerArp(h.p1, H1, H1_IP, GW1, GW1_IP);
            List<ByteBuf> released = h.sent(h.p1);
            assertEquals(1, released.size(), "the queued echo reply went out once h1 answered");
            assertEquals(Icmp4.TYPE_ECHO_REPLY, Icmp4.type(released.get(0), IP + 20));
            assertEquals(H1, Ethernet.dst(released.get(0), 0));
        }
    }

    /** The packets of an established connection take their route from a hint: a route added later still wins. */
    @Test
    void anEstablishedConnectionFollowsARouteChange() {
        try (RouterHarness h = new RouterHarness()) {
            h.answerArp(h.p3, H3, H3_IP, GW2, GW2_IP);
            h.answerArp(h.uplink, LAN, LAN_IP, GW_UPLINK, UPLINK_IP);
            h.router.addRoute(0, 0, LAN_IP);
            int far = parse("198.51.100.7");
            for (int i = 0; i < 3; i++) {
                h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, far, 4000, 5000, "out".getBytes()));
            }
            List<ByteBuf> up = h.sent(h.uplink);
            assertEquals(3, up.size(), "by the default route");
            assertEquals(LAN, Ethernet.dst(up.get(2), 0));
            h.router.addRoute(parse("198.51.100.0"), 24, H3_IP);
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, far, 4000, 5000, "moved".getBytes()));
            assertEquals(0, h.sent(h.uplink).size());
            List<ByteBuf> p3 = h.sent(h.p3);
            assertEquals(1, p3.size(), "the same connection now goes by the new, longer route");
            assertEquals(H3, Ethernet.dst(p3.get(0), 0));
            assertEquals(far, Ipv4.dst(p3.get(0), IP));
            h.assertCountersAddUp();
        }
    }

    @Test
    void routesBetweenBridgesDecrementingTtl() {
        try (RouterHarness h = new RouterHarness()) {
            ByteBuf in = FrameBuilder.udp(GW1, H1, H1_IP, H3_IP, 4000, 5000, "across".getBytes());
            h.send(h.p1, in);
            List<ByteBuf> arp = h.sent(h.p3);
            assertEquals(1, arp.size());
            assertEquals(H3_IP, Arp.targetIp(arp.get(0), IP));
            assertEquals(GW2_IP, Arp.senderIp(arp.get(0), IP), "asked from the gateway on h3's subnet");
            h.answerArp(h.p3, H3, H3_IP, GW2, GW2_IP);
            List<ByteBuf> out = h.sent(h.p3);
            assertEquals(1, out.size());
            ByteBuf f = out.get(0);
            assertEquals(H3, Ethernet.dst(f, 0));
            assertEquals(GW2, Ethernet.src(f, 0));
            assertEquals(63, Ipv4.ttl(f, IP));
            assertEquals(H1_IP, Ipv4.src(f, IP));
            assertChecksums(f);
            assertEquals(0, h.sent(h.p2).size(), "nothing leaks onto the other bridge's ports");
            // The second packet finds the neighbor resolved and goes straight through.
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, H3_IP, 4000, 5000, "again".getBytes()));
            assertEquals(1, h.sent(h.p3).size());
            h.assertCountersAddUp();
        }
    }

    @Test
    void aPacketRoutedToANeighborAtTheRoutersOwnMacIsDroppedNotLooped() {
        try (RouterHarness h = new RouterHarness()) {
            // A neighbor "at" the router's own MAC on br2 (a spoofed ARP answer could say so): the bridge would hand
            // the packet back to the router's port it came from; it drops it there instead (TTL 255 would go round).
            int loopIp = parse("192.168.16.9");
            h.router.neighbors().confirm(loopIp, GW2, 1, h.clock.nanos(), true, (f, o) -> { });
            ByteBuf in = FrameBuilder.udp(GW1, H1, H1_IP, loopIp, 4000, 5000, "round".getBytes());
            in.setByte(IP + Ipv4.TTL, 255);
            Ipv4.updateChecksum(in, IP);
            h.send(h.p1, in);
            assertEquals(1, h.pipeline.dropped());
            assertEquals(1, h.gw1Port.counters().drops(DropReason.SAME_PORT));
            assertEquals(1, h.pipeline.forwarded(), "bridge to router, once");
            assertEquals(0, h.pipeline.injectionDrops());
            assertEquals(0, h.sent(h.p3).size());
            h.assertCountersAddUp();
        }
    }

    @Test
    void ttlOneGetsTimeExceededQuotingTheOriginal() {
        try (RouterHarness h = new RouterHarness()) {
            h1ArpsForGateway(h);
            ByteBuf probe = FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 33434, 33435, new byte[12]);
            probe.setByte(IP + Ipv4.TTL, 1);
            Ipv4.updateChecksum(probe, IP);
            String originalHeader = ByteBufUtil.hexDump(probe, IP, 28);
            h.send(h.p1, probe);
            List<ByteBuf> out = h.sent(h.p1);
            assertEquals(1, out.size());
            ByteBuf err = out.get(0);
            assertEquals(GW1_IP, Ipv4.src(err, IP), "from the gateway: tracepath shows this hop");
            assertEquals(H1_IP, Ipv4.dst(err, IP));
            assertEquals(Icmp4.TYPE_TIME_EXCEEDED, Icmp4.type(err, IP + 20));
            assertEquals(0, Icmp4.code(err, IP + 20));
            assertEquals(originalHeader, ByteBufUtil.hexDump(err, IP + 28, 28), "quotes the IP header + 8 bytes");
            assertChecksums(err);
            assertEquals(1, h.gw1Port.counters().drops(DropReason.TTL_EXCEEDED));
            assertEquals(0, h.sent(h.uplink).size());
        }
    }

    /** A UDP probe from h1 to lan with TTL 1 (the router answers time exceeded). */
    private static ByteBuf ttlOneProbe(long srcMac, int srcIp, int port) {
        ByteBuf probe = FrameBuilder.udp(GW1, srcMac, srcIp, LAN_IP, 33434, port, new byte[12]);
        probe.setByte(IP + Ipv4.TTL, 1);
        Ipv4.updateChecksum(probe, IP);
        return probe;
    }

    @Test
    void icmpErrorsToOneHostAreLimitedAsTheKernelLimitsThemLeavingOthersTheirs() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            for (var p : List.of(h.p1, h.p2, h.p3, h.uplink)) {
                h.sent(p); // the ARP answers withSeedNat caused
            }
            for (int i = 0; i < 200; i++) { // h1's TTL-1 flood, in one instant
                h.send(h.p1, ttlOneProbe(H1, H1_IP, 33435 + i));
            }
            assertEquals(IcmpRateLimit.PER_DESTINATION_BURST, h.sent(h.p1).size(), "a burst of 6 answered, no more");
            assertEquals(200 - IcmpRateLimit.PER_DESTINATION_BURST, h.router.icmpErrorsSuppressed());
            assertEquals(200, h.gw1Port.counters().drops(DropReason.TTL_EXCEEDED), "every probe dropped and counted");
            h.send(h.p2, ttlOneProbe(H2, parse("192.168.15.2"), 40000));
            assertEquals(1, h.sent(h.p2).size(), "h2 is answered during h1's flood");
            h.clock.advance(1, TimeUnit.SECONDS); // one more for h1
            for (int i = 0; i < 20; i++) {
                h.send(h.p1, ttlOneProbe(H1, H1_IP, 34000 + i));
            }
            assertEquals(1, h.sent(h.p1).size(), "a second earns one more");
            h.assertCountersAddUp();
        }
    }

    @Test
    void fragmentationNeededIsNeverRateLimited() {
        try (RouterHarness h = new RouterHarness().withSeedNat()) {
            for (var p : List.of(h.p1, h.p2, h.p3, h.uplink)) {
                h.sent(p);
            }
            for (int i = 0; i < 100; i++) { // too big for the uplink, DF set: path-MTU discovery must hear of each
                h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40000 + i, 9000,
                        new byte[RouterHarness.UPLINK_MTU]));
            }
            List<ByteBuf> errors = h.sent(h.p1);
            assertEquals(100, errors.size());
            assertEquals(4, Icmp4.code(errors.get(99), IP + 20), "fragmentation needed");
            assertEquals(0, h.router.icmpErrorsSuppressed());
            assertTrue(h.sent(h.uplink).isEmpty());
        }
    }

    @Test
    void allDestinationsTogetherGetAtMostTheSharedBurstThenTheSharedRate() {
        IcmpRateLimit limit = new IcmpRateLimit();
        int allowed = 0;
        for (int d = 0; d < 200; d++) { // 200 destinations, one error each, in one instant
            allowed += limit.allow(parse("10.0.0.0") + d, Icmp4.TYPE_TIME_EXCEEDED, 0, 0) ? 1 : 0;
        }
        assertEquals(IcmpRateLimit.BURST, allowed, "the shared burst");
        allowed = 0;
        for (int d = 200; d < 300; d++) { // 10 ms later: 1000 a second earns 10
            long later = TimeUnit.MILLISECONDS.toNanos(10);
            allowed += limit.allow(parse("10.0.0.0") + d, Icmp4.TYPE_TIME_EXCEEDED, 0, later) ? 1 : 0;
        }
        assertEquals(10, allowed, "the shared rate");
        assertEquals(240, limit.refused());
    }

    @Test
    void tcpToTheRouterIsAnsweredWithAResetAsByAKernelWithNothingListening() {
        try (RouterHarness h = new RouterHarness()) {
            h1ArpsForGateway(h);
            // A SYN carrying 5 bytes (sequence 1000): RST|ACK, sequence 0, acknowledging 1000 + 5 + 1 (the SYN).
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, GW1_IP, 40000, 22, Tcp.SYN, new byte[5]));
            ByteBuf rst = only(h.sent(h.p1));
            assertEquals(GW1_IP, Ipv4.src(rst, IP));
            assertEquals(H1_IP, Ipv4.dst(rst, IP));
            int tcp = IP + 20;
            assertEquals(22, Tcp.srcPort(rst, tcp));
            assertEquals(40000, Tcp.dstPort(rst, tcp));
            assertEquals(Tcp.RST | Tcp.ACK_FLAG, Tcp.flags(rst, tcp));
            assertEquals(0, rst.getInt(tcp + Tcp.SEQ));
            assertEquals(1006, rst.getInt(tcp + Tcp.ACK));
            assertEquals(40, Ipv4.totalLength(rst, IP), "no options, no data");
            assertChecksums(rst);
            // A segment with ACK (acknowledging 777): RST with sequence 777.
            ByteBuf ack = FrameBuilder.tcp(GW1, H1, H1_IP, GW1_IP, 40001, 80, Tcp.ACK_FLAG, new byte[0]);
            ack.setInt(IP + 20 + Tcp.ACK, 777);
            Tcp.updateChecksum(ack, IP + 20, 20, H1_IP, GW1_IP);
            h.send(h.p1, ack);
            ByteBuf rst2 = only(h.sent(h.p1));
            assertEquals(Tcp.RST, Tcp.flags(rst2, tcp));
            assertEquals(777, rst2.getInt(tcp + Tcp.SEQ));
            assertChecksums(rst2);
            // A reset is never answered.
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, GW1_IP, 40002, 80, Tcp.RST, new byte[0]));
            assertTrue(h.sent(h.p1).isEmpty());
            assertEquals(3, h.gw1Port.counters().drops(DropReason.LOCAL_UNREACHABLE));
            // UDP gets port unreachable.
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, GW1_IP, 40003, 53, new byte[4]));
            ByteBuf err = only(h.sent(h.p1));
            assertEquals(Icmp4.TYPE_DEST_UNREACHABLE, Icmp4.type(err, IP + 20));
            assertEquals(3, Icmp4.code(err, IP + 20));
            assertChecksums(err);
            h.assertCountersAddUp();
        }
    }

    /** The fragments put back together in offset order (as the receiving kernel would); the caller releases it. */
    private static ByteBuf reassembled(List<ByteBuf> fragments) {
        List<ByteBuf> sorted = new java.util.ArrayList<>(fragments);
        sorted.sort(Comparator.comparingInt(f -> Ipv4.flagsFragment(f, IP) & Ipv4.FRAGMENT_OFFSET_MASK));
        int total = 0;
        for (ByteBuf f : sorted) {
            assertEquals(total, (Ipv4.flagsFragment(f, IP) & Ipv4.FRAGMENT_OFFSET_MASK) * 8, "none missing");
            assertNull(Ipv4.check(f, IP, f.readableBytes() - IP));
            total += Ipv4.totalLength(f, IP) - 20;
        }
        ByteBuf whole = FrameBuilder.of(new byte[IP + 20 + total]);
        whole.setBytes(0, sorted.get(0), 0, IP + 20);
        int at = IP + 20;
        for (ByteBuf f : sorted) {
            int n = Ipv4.totalLength(f, IP) - 20;
            whole.setBytes(at, f, IP + 20, n);
            at += n;
        }
        whole.setShort(IP + Ipv4.TOTAL_LENGTH, 20 + total);
        whole.setShort(IP + Ipv4.FLAGS_FRAGMENT, 0);
        Ipv4.updateChecksum(whole, IP);
        return whole;
    }

    @Test
    void aPingBiggerThanTheLinkIsReassembledAndAnsweredInAnyOrder() {
        try (RouterHarness h = new RouterHarness()) {
            h1ArpsForGateway(h);
            byte[] payload = new byte[3000];
            new Random(5).nextBytes(payload);
            for (boolean reversed : new boolean[] {false, true}) {
                List<ByteBuf> request = new java.util.ArrayList<>(FrameBuilder.fragments(
                        FrameBuilder.icmpEcho(GW1, H1, H1_IP, GW1_IP, 9, reversed ? 2 : 1, payload), 1480));
                assertEquals(3, request.size());
                if (reversed) {
                    java.util.Collections.reverse(request);
                }
                for (ByteBuf f : request) {
                    h.send(h.p1, f);
                }
                List<ByteBuf> reply = h.sent(h.p1);
                assertEquals(3, reply.size(), "the reply, as big, fragmented for br1's MTU of 1500");
                ByteBuf whole = reassembled(reply);
                assertEquals(GW1_IP, Ipv4.src(whole, IP));
                assertEquals(H1_IP, Ipv4.dst(whole, IP));
                assertEquals(Icmp4.TYPE_ECHO_REPLY, Icmp4.type(whole, IP + 20));
                assertEquals(9, Icmp4.echoId(whole, IP + 20));
                assertEquals(reversed ? 2 : 1, Icmp4.echoSeq(whole, IP + 20));
                byte[] echoed = new byte[payload.length];
                whole.getBytes(IP + 28, echoed);
                assertArrayEquals(payload, echoed, "the data echoed");
                assertChecksums(whole);
                whole.release();
            }
            assertEquals(0, h.router.reassembliesInProgress());
            h.assertCountersAddUp();
        }
    }

    @Test
    void reassemblyForTheRouterIsBoundedAndGivesUpOverlapsAndStragglers() {
        try (RouterHarness h = new RouterHarness()) {
            h1ArpsForGateway(h);
            // Ten datagrams of which only the first fragment comes: eight are kept, the oldest make room.
            for (int id = 0; id < 10; id++) {
                List<ByteBuf> f = FrameBuilder.fragments(FrameBuilder.icmpEcho(GW1, H1, H1_IP, GW1_IP, id, 1,
                        new byte[2000]), 1480);
                f.get(0).setShort(IP + Ipv4.ID, id);
                Ipv4.updateChecksum(f.get(0), IP);
                f.get(1).release();
                h.send(h.p1, f.get(0));
            }
            assertEquals(LocalReassembly.DATAGRAMS, h.router.reassembliesInProgress());
            h.clock.advance(30, TimeUnit.SECONDS);
            h.tick();
            assertEquals(0, h.router.reassembliesInProgress(), "given up after 30 s, as ipfrag_time");
            assertEquals(IcmpRateLimit.PER_DESTINATION_BURST, h.sent(h.p1).size(),
                    "reassembly time exceeded for the 8 given up, as many as h1's ICMP limit lets through");
            assertEquals(8 - IcmpRateLimit.PER_DESTINATION_BURST, h.router.icmpErrorsSuppressed());
            // A fragment overlapping one already there ends its datagram: no answer.
            List<ByteBuf> f = FrameBuilder.fragments(FrameBuilder.icmpEcho(GW1, H1, H1_IP, GW1_IP, 7, 7,
                    new byte[2000]), 1480);
            ByteBuf overlap = f.get(1).copy();
            overlap.setShort(IP + Ipv4.FLAGS_FRAGMENT, 1480 / 8 - 1); // 8 bytes into the first fragment's data
            Ipv4.updateChecksum(overlap, IP);
            h.send(h.p1, f.get(0));
            h.send(h.p1, overlap);
            h.send(h.p1, f.get(1));
            assertTrue(h.sent(h.p1).isEmpty(), "no reply to a datagram with overlapping fragments");
            assertEquals(1, h.router.reassembliesInProgress(), "the fragment after the overlap starts anew");
            // Data past the end the last fragment gave ends its datagram too.
            List<ByteBuf> g = FrameBuilder.fragments(FrameBuilder.icmpEcho(GW1, H1, H1_IP, GW1_IP, 8, 8,
                    new byte[2000]), 1480);
            ByteBuf beyond = g.get(0).copy();
            beyond.setShort(IP + Ipv4.FLAGS_FRAGMENT, Ipv4.FLAG_MF | 2016 / 8);
            Ipv4.updateChecksum(beyond, IP);
            h.send(h.p1, g.get(1)); // the last: the data ends at 2008
            h.send(h.p1, beyond);   // 2016..3496: past it
            h.send(h.p1, g.get(0));
            assertTrue(h.sent(h.p1).isEmpty(), "no reply to a datagram with data past its end");
            h.assertCountersAddUp();
        }
    }

    @Test
    void aDatagramToTheRouterThatNeverCompletesGetsItsSenderReassemblyTimeExceeded() {
        try (RouterHarness h = new RouterHarness()) {
            h1ArpsForGateway(h);
            List<ByteBuf> f = FrameBuilder.fragments(FrameBuilder.icmpEcho(GW1, H1, H1_IP, GW1_IP, 4, 4,
                    new byte[2000]), 1480);
            f.get(1).release();
            h.send(h.p1, f.get(0)); // the first fragment only
            List<ByteBuf> g = FrameBuilder.fragments(FrameBuilder.icmpEcho(GW1, H1, H1_IP, GW1_IP, 5, 5,
                    new byte[2000]), 1480);
            g.get(1).setShort(IP + Ipv4.ID, 0x5555);
            Ipv4.updateChecksum(g.get(1), IP);
            g.get(0).release();
            h.send(h.p1, g.get(1)); // a last fragment only: nothing to quote, so no message
            h.clock.advance(29, TimeUnit.SECONDS);
            h.tick();
            assertTrue(h.sent(h.p1).isEmpty(), "still waiting at 29 s");
            h.clock.advance(1, TimeUnit.SECONDS);
            h.tick();
            ByteBuf err = only(h.sent(h.p1));
            assertEquals(GW1_IP, Ipv4.src(err, IP), "from the address the datagram was for");
            assertEquals(H1_IP, Ipv4.dst(err, IP));
            assertEquals(Icmp4.TYPE_TIME_EXCEEDED, Icmp4.type(err, IP + 20));
            assertEquals(1, Icmp4.code(err, IP + 20), "fragment reassembly time exceeded");
            int quoted = IP + 28;
            assertEquals(Ipv4.FLAG_MF, Ipv4.flagsFragment(err, quoted), "the first fragment, as it came");
            assertEquals(Icmp4.TYPE_ECHO_REQUEST, err.getUnsignedByte(quoted + 20), "its data quoted");
            assertEquals(IcmpErrors.MAX_QUOTE, Ipv4.totalLength(err, IP) - 28, "as much as an ICMP error quotes");
            assertChecksums(err);
            assertEquals(0, h.router.reassembliesInProgress());
            h.assertCountersAddUp();
        }
    }

    @Test
    void noRouteGetsNetUnreachable() {
        try (RouterHarness h = new RouterHarness()) {
            h1ArpsForGateway(h);
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, parse("203.0.113.9"), 1, 2, new byte[4]));
            ByteBuf err = h.sent(h.p1).get(0);
            assertEquals(Icmp4.TYPE_DEST_UNREACHABLE, Icmp4.type(err, IP + 20));
            assertEquals(0, Icmp4.code(err, IP + 20));
            assertChecksums(err);
            assertEquals(1, h.gw1Port.counters().drops(DropReason.NO_ROUTE));
        }
    }

    @Test
    void icmpErrorsAreNotSentAboutIcmpErrors() {
        try (RouterHarness h = new RouterHarness()) {
            h1ArpsForGateway(h);
            ByteBuf err = FrameBuilder.icmpEcho(GW1, H1, H1_IP, parse("203.0.113.9"), 1, 1, new byte[8]);
            err.setByte(IP + 20, Icmp4.TYPE_DEST_UNREACHABLE);
            Icmp4.updateChecksum(err, IP + 20, 16);
            h.send(h.p1, err);
            assertEquals(0, h.sent(h.p1).size());
            assertEquals(1, h.gw1Port.counters().drops(DropReason.NO_ROUTE), "dropped, counted, not answered");
        }
    }

    @Test
    void dfSetAndTooBigGetsFragmentationNeededWithTheMtu() {
        try (RouterHarness h = new RouterHarness()) {
            h1ArpsForGateway(h);
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 1, 2, new byte[1400])); // DF is set
            ByteBuf err = h.sent(h.p1).get(0);
            assertEquals(Icmp4.TYPE_DEST_UNREACHABLE, Icmp4.type(err, IP + 20));
            assertEquals(4, Icmp4.code(err, IP + 20));
            assertEquals(RouterHarness.UPLINK_MTU, err.getUnsignedShort(IP + 20 + Icmp4.NEXT_HOP_MTU));
            assertChecksums(err);
            assertEquals(0, h.sent(h.uplink).size());
        }
    }

    @Test
    void dfClearAndTooBigIsFragmentedAndReassemblesToTheOriginal() {
        try (RouterHarness h = new RouterHarness()) {
            byte[] payload = new byte[2500];
            new Random(9).nextBytes(payload);
            ByteBuf in = FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 7000, 7001, payload);
            in.setShort(IP + Ipv4.FLAGS_FRAGMENT, 0);
            Ipv4.updateChecksum(in, IP);
            byte[] originalUdp = ByteBufUtil.getBytes(in, IP + 20, 8 + payload.length);
            h.send(h.p1, in);
            h.answerArp(h.uplink, LAN, LAN_IP, GW_UPLINK, UPLINK_IP);
            List<ByteBuf> frags = h.sent(h.uplink).stream().filter(f -> Ethernet.type(f, 0) == Ethernet.TYPE_IPV4)
                    .sorted(Comparator.comparingInt(f -> Ipv4.flagsFragment(f, IP) & Ipv4.FRAGMENT_OFFSET_MASK))
                    .toList();
            assertEquals(3, frags.size(), "2508 bytes of UDP over a 1000-byte MTU: 976 + 976 + 556");
            byte[] reassembled = new byte[8 + payload.length];
            int expectedOffset = 0;
            for (int i = 0; i < frags.size(); i++) {
                ByteBuf f = frags.get(i);
                assertChecksums(f);
                assertTrue(Ipv4.totalLength(f, IP) <= RouterHarness.UPLINK_MTU);
                assertEquals(LAN, Ethernet.dst(f, 0));
                int off = (Ipv4.flagsFragment(f, IP) & Ipv4.FRAGMENT_OFFSET_MASK) * 8;
                assertEquals(expectedOffset, off);
                assertEquals(i < frags.size() - 1, (Ipv4.flagsFragment(f, IP) & Ipv4.FLAG_MF) != 0, "MF");
                int len = Ipv4.totalLength(f, IP) - 20;
                f.getBytes(IP + 20, reassembled, off, len);
                expectedOffset += len;
                assertEquals(63, Ipv4.ttl(f, IP));
            }
            assertArrayEquals(originalUdp, reassembled, "the fragments reassemble to the original datagram");
            int sum = Checksum.add(io.netty.buffer.Unpooled.wrappedBuffer(reassembled), 0, reassembled.length,
                    Checksum.pseudoHeader(H1_IP, LAN_IP, 17, reassembled.length));
            assertEquals(0xFFFF, Checksum.fold(sum), "and the UDP checksum still verifies");
            assertEquals(8 + payload.length, Udp.length(io.netty.buffer.Unpooled.wrappedBuffer(reassembled), 0));
        }
    }

    @Test
    void anUnansweredNextHopFailsWithHostUnreachableAfterThreeRequests() {
        try (RouterHarness h = new RouterHarness()) {
            h1ArpsForGateway(h);
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, H3_IP, 1, 2, new byte[4]));
            assertEquals(1, h.sent(h.p3).size(), "first request");
            for (int s = 1; s <= 2; s++) {
                h.clock.advance(1, TimeUnit.SECONDS);
                h.tick();
                assertEquals(1, h.sent(h.p3).size(), "request " + (s + 1));
            }
            assertEquals(0, h.sent(h.p1).size());
            h.clock.advance(1, TimeUnit.SECONDS);
            h.tick();
            List<ByteBuf> out = h.sent(h.p1);
            assertEquals(1, out.size(), "host unreachable back to h1");
            assertEquals(Icmp4.TYPE_DEST_UNREACHABLE, Icmp4.type(out.get(0), IP + 20));
            assertEquals(1, Icmp4.code(out.get(0), IP + 20));
            assertEquals(GW2_IP, Ipv4.src(out.get(0), IP));
            assertChecksums(out.get(0));
            assertEquals(1, h.gw2Port.counters().drops(DropReason.NEIGHBOR_UNRESOLVED));
            assertNull(h.router.neighbors().stateOf(H3_IP));
        }
    }

    @Test
    void uplinkTrafficIsRoutedToTheBridge() {
        try (RouterHarness h = new RouterHarness()) {
            h1ArpsForGateway(h);
            h.send(h.uplink, FrameBuilder.tcp(GW_UPLINK, LAN, LAN_IP, H1_IP, 40000, 80, 0x02, new byte[0]));
            List<ByteBuf> out = h.sent(h.p1);
            assertEquals(1, out.size());
            assertEquals(H1, Ethernet.dst(out.get(0), 0));
            assertEquals(GW1, Ethernet.src(out.get(0), 0));
            assertChecksums(out.get(0));
            // A frame on the uplink for another MAC is not the router's to route.
            h.send(h.uplink, FrameBuilder.tcp(H1, LAN, LAN_IP, H1_IP, 40000, 80, 0x02, new byte[0]));
            assertEquals(1, h.uplink.counters().drops(DropReason.NOT_FOR_ROUTER));
            h.assertCountersAddUp();
        }
    }

    @Test
    void unroutableIpv6AndMalformedIpv4AreDroppedWithReasons() {
        try (RouterHarness h = new RouterHarness()) {
            h.send(h.uplink, FrameBuilder.ethernet(GW_UPLINK, LAN, Ethernet.TYPE_IPV6, new byte[40]));
            assertEquals(1, h.uplink.counters().drops(DropReason.IPV6_BAD_VERSION), "40 zero bytes are no IPv6");
            // Sound IPv6 for another host the router has no route to.
            h.send(h.uplink, dev.vnet.dataplane.testing.Frames6.echoRequest(GW_UPLINK, LAN,
                    dev.vnet.dataplane.wire.Ipv6Address.parse("2001:db8::3"),
                    dev.vnet.dataplane.wire.Ipv6Address.parse("2001:db8:1::1"), 1, 1, new byte[8]));
            ByteBuf bad = FrameBuilder.udp(GW_UPLINK, LAN, LAN_IP, H1_IP, 1, 2, new byte[4]);
            bad.setByte(IP + Ipv4.TTL, 9); // checksum now wrong
            h.send(h.uplink, bad);
            assertEquals(1, h.uplink.counters().drops(DropReason.NO_ROUTE));
            assertEquals(1, h.uplink.counters().drops(DropReason.IPV4_BAD_CHECKSUM));
            h.assertCountersAddUp();
        }
    }
}
