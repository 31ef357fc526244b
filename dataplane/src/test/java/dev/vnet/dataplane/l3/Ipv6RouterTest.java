package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.testing.Frames6;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.testing.RouterHarness;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import dev.vnet.dataplane.wire.Ndp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.vnet.dataplane.testing.RouterHarness.GW1;
import static dev.vnet.dataplane.testing.RouterHarness.H1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router's own IPv6: on br1 it has fd00:15::5/64 and its link-local address; it answers neighbour solicitations
 * for them as RFC 4861 7.2.4 says and pings to them as RFC 4443 4.2 says, and drops what RFC 4861 makes invalid under
 * its reason ({@link Ipv6ForwardingTest} has what it routes).
 */
class Ipv6RouterTest {
    private static final int IP = Ethernet.HEADER_LEN;
    private static final int ICMP = IP + Ipv6.HEADER_LEN;
    private static final Ipv6Address GW = Ipv6Address.parse("fd00:15::5");
    private static final Ipv6Address RED = Ipv6Address.parse("fd00:15::1");
    private static final Ipv6Address BLUE = Ipv6Address.parse("fd00:15::2");
    private static final Ipv6Address GW_LINK_LOCAL = Ipv6Address.linkLocal(GW1);

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    private static RouterHarness harness() {
        RouterHarness h = new RouterHarness();
        RouterInterface br1 = h.router.interfaces().get(0);
        h.router.addAddress6(br1, Ipv6Cidr.parse("fd00:15::5/64"));
        return h;
    }

    private static ByteBuf only(List<ByteBuf> frames) {
        assertEquals(1, frames.size(), "exactly one frame");
        return frames.get(0);
    }

    private static void assertSound(ByteBuf f) {
        assertNull(Ipv6.check(f, IP, f.readableBytes() - IP), "IPv6 header");
        assertNull(Icmp6.check(f, IP, ICMP, Ipv6.payloadLength(f, IP)), "ICMPv6 checksum");
    }

    @Test
    void aNeighbourSolicitationForTheGatewayIsAnsweredAsRfc4861Says() {
        try (RouterHarness h = harness()) {
            h.send(h.p1, Frames6.neighborSolicitation(H1, RED, GW));
            ByteBuf na = only(h.sent(h.p1));
            assertSound(na);
            assertEquals(H1, Ethernet.dst(na, 0), "to the source link-layer address");
            assertEquals(GW1, Ethernet.src(na, 0));
            assertEquals(new Ipv6Address(Ipv6.srcHi(na, IP), Ipv6.srcLo(na, IP)), GW, "from the target");
            assertEquals(new Ipv6Address(Ipv6.dstHi(na, IP), Ipv6.dstLo(na, IP)), RED);
            assertEquals(255, Ipv6.hopLimit(na, IP));
            assertEquals(Icmp6.TYPE_NEIGHBOR_ADVERTISEMENT, Icmp6.type(na, ICMP));
            assertEquals(Ndp.NA_ROUTER | Ndp.NA_SOLICITED | Ndp.NA_OVERRIDE, na.getUnsignedByte(ICMP + Ndp.NA_FLAGS));
            assertEquals(GW.lo(), Ndp.targetLo(na, ICMP));
            int length = Ipv6.payloadLength(na, IP);
            assertEquals(GW1, Ndp.linkLayerAddress(na, ICMP, length, Ndp.OPT_TARGET_LINK_ADDRESS));
            assertNull(Ndp.check(na, IP, ICMP, length), "valid by RFC 4861's own checks");
            h.assertCountersAddUp();
        }
    }

    @Test
    void theLinkLocalAddressIsAnsweredAndDuplicateAddressDetectionToAllNodes() {
        try (RouterHarness h = harness()) {
            assertEquals("fe80::aa:ff:fe00:1", GW_LINK_LOCAL.toString(), "fe80:: and the MAC's modified EUI-64");
            h.send(h.p1, Frames6.neighborSolicitation(H1, RED, GW_LINK_LOCAL));
            assertEquals(GW_LINK_LOCAL.lo(), Ipv6.srcLo(only(h.sent(h.p1)), IP));
            h.send(h.p1, Frames6.neighborSolicitation(H1, new Ipv6Address(0, 0), GW));
            ByteBuf na = only(h.sent(h.p1));
            assertEquals(0x3333_0000_0001L, Ethernet.dst(na, 0), "an address in use is defended to all nodes");
            assertEquals(1, Ipv6.dstLo(na, IP));
            assertEquals(Ndp.NA_ROUTER | Ndp.NA_OVERRIDE, na.getUnsignedByte(ICMP + Ndp.NA_FLAGS), "not solicited");
            assertSound(na);
        }
    }

    @Test
    void aSolicitationForAnotherAddressIsNotAnswered() {
        try (RouterHarness h = harness()) {
            h.send(h.p1, Frames6.neighborSolicitation(H1, RED, BLUE));
            assertTrue(h.sent(h.p1).isEmpty(), "blue answers for itself");
            h.assertCountersAddUp();
        }
    }

    @Test
    void aPingToTheGatewayIsAnsweredWithItsDataFromTheAddressItWasSentTo() {
        try (RouterHarness h = harness()) {
            byte[] data = "ping six".getBytes();
            for (Ipv6Address to : List.of(GW, GW_LINK_LOCAL)) {
                h.send(h.p1, Frames6.echoRequest(GW1, H1, RED, to, 77, 3, data));
                ByteBuf r = only(h.sent(h.p1));
                assertSound(r);
                assertEquals(H1, Ethernet.dst(r, 0));
                assertEquals(to.lo(), Ipv6.srcLo(r, IP), "from " + to);
                assertEquals(RED.lo(), Ipv6.dstLo(r, IP));
                assertEquals(Icmp6.TYPE_ECHO_REPLY, Icmp6.type(r, ICMP));
                assertEquals(77, r.getUnsignedShort(ICMP + Icmp6.ECHO_ID));
                assertEquals(3, r.getUnsignedShort(ICMP + Icmp6.ECHO_SEQ));
                assertArrayEquals(data, ByteBufUtil.getBytes(r, ICMP + Icmp6.HEADER_LEN, data.length));
            }
            h.assertCountersAddUp();
        }
    }

    @Test
    void whatRfc4861MakesInvalidOrTheRouterDoesNotDoYetIsDroppedUnderItsReason() {
        try (RouterHarness h = harness()) {
            ByteBuf offLink = Frames6.neighborSolicitation(H1, RED, GW);
            offLink.setByte(IP + Ipv6.HOP_LIMIT, 64);
            Icmp6.updateChecksum(offLink, IP, ICMP, Ipv6.payloadLength(offLink, IP));
            h.send(h.p1, offLink);
            assertEquals(1, h.gw1Port.counters().drops(DropReason.NDP_INVALID), "a solicitation with hop limit 64");

            ByteBuf corrupt = Frames6.echoRequest(GW1, H1, RED, GW, 1, 1, new byte[8]);
            corrupt.setByte(ICMP + 9, 1);
            h.send(h.p1, corrupt);
            assertEquals(1, h.gw1Port.counters().drops(DropReason.ICMPV6_BAD_CHECKSUM));

            ByteBuf notSix = Frames6.echoRequest(GW1, H1, RED, GW, 1, 1, new byte[8]);
            notSix.setByte(IP, 0x45);
            h.send(h.p1, notSix);
            assertEquals(1, h.gw1Port.counters().drops(DropReason.IPV6_BAD_VERSION));

            assertTrue(h.sent(h.p1).isEmpty(), "no answer to any of them");
            h.assertCountersAddUp();
        }
    }

    /** The router advertisements p1 got since the last call, each checked as RFC 4861 checks one. */
    private static List<ByteBuf> advertisements(RouterHarness h) {
        List<ByteBuf> got = h.sent(h.p1);
        for (ByteBuf ra : got) {
            assertSound(ra);
            assertEquals(Icmp6.TYPE_ROUTER_ADVERTISEMENT, Icmp6.type(ra, ICMP));
            assertNull(Ndp.check(ra, IP, ICMP, Ipv6.payloadLength(ra, IP)), "valid by RFC 4861");
        }
        long atBlue = h.sent(h.p2).stream().filter(f -> Ethernet.type(f, 0) == Ethernet.TYPE_IPV6
                && Icmp6.type(f, ICMP) == Icmp6.TYPE_ROUTER_ADVERTISEMENT).count();
        assertEquals(got.size(), atBlue, "every advertisement reaches all nodes");
        return got;
    }

    @Test
    void advertisementsCarryThePrefixAndMtuAndNoDefaultRouterWhenNothingLiesBeyond() {
        try (RouterHarness h = harness()) {
            h.tick();
            ByteBuf ra = only(advertisements(h));
            assertEquals(0x3333_0000_0001L, Ethernet.dst(ra, 0));
            assertEquals(GW_LINK_LOCAL.lo(), Ipv6.srcLo(ra, IP), "from the link-local address");
            assertEquals(0, ra.getUnsignedShort(ICMP + Ndp.RA_LIFETIME), "lifetime 0: the router reaches no other IPv6 prefix");
            int length = Ipv6.payloadLength(ra, IP);
            assertEquals(GW1, Ndp.linkLayerAddress(ra, ICMP, length, Ndp.OPT_SOURCE_LINK_ADDRESS));
            int mtu = Ndp.option(ra, ICMP, length, Ndp.OPT_MTU);
            assertEquals(1500, ra.getInt(mtu + 4));
            int prefix = Ndp.option(ra, ICMP, length, Ndp.OPT_PREFIX);
            assertEquals(64, ra.getUnsignedByte(prefix + 2));
            assertEquals(0xC0, ra.getUnsignedByte(prefix + 3), "on-link and autonomous: hosts form addresses");
            assertEquals(86_400, ra.getInt(prefix + 4));
            assertEquals(14_400, ra.getInt(prefix + 8));
            assertEquals(GW.hi(), ra.getLong(prefix + 16));
            assertEquals(0, ra.getLong(prefix + 24), "the prefix, not the gateway's address");
        }
    }

    @Test
    void advertisementsNameTheDnsServersGiven() {
        try (RouterHarness h = harness()) {
            h.router.setDnsServers(h.router.interfaces().get(0),
                    List.of(Ipv6Address.parse("fd00:15::53"), Ipv6Address.parse("2001:db8::53")));
            h.tick();
            ByteBuf ra = only(advertisements(h));
            int length = Ipv6.payloadLength(ra, IP);
            int rdnss = Ndp.option(ra, ICMP, length, Ndp.OPT_RDNSS);
            assertTrue(rdnss > 0, "an RDNSS option (RFC 8106)");
            assertEquals(5, ra.getUnsignedByte(rdnss + 1), "8 bytes and two addresses: 5 units of 8");
            assertEquals(600, ra.getInt(rdnss + 4), "valid three advertisement intervals");
            assertEquals(Ipv6Address.parse("fd00:15::53"), new Ipv6Address(ra.getLong(rdnss + 8),
                    ra.getLong(rdnss + 16)));
            assertEquals(Ipv6Address.parse("2001:db8::53"), new Ipv6Address(ra.getLong(rdnss + 24),
                    ra.getLong(rdnss + 32)));
        }
    }

    @Test
    void advertisementsFollowRfc4861sScheduleAndAnswerSolicitationsAtMostEveryThreeSeconds() {
        try (RouterHarness h = harness()) {
            h.tick();
            assertEquals(1, advertisements(h).size(), "one at once");
            h.clock.advance(15, java.util.concurrent.TimeUnit.SECONDS);
            h.tick();
            assertEquals(0, advertisements(h).size());
            h.clock.advance(1, java.util.concurrent.TimeUnit.SECONDS);
            h.tick();
            assertEquals(1, advertisements(h).size(), "the second 16 s later");
            h.clock.advance(16, java.util.concurrent.TimeUnit.SECONDS);
            h.tick();
            assertEquals(1, advertisements(h).size(), "the third");
            h.clock.advance(199, java.util.concurrent.TimeUnit.SECONDS);
            h.tick();
            assertEquals(0, advertisements(h).size(), "then 200 s apart");
            h.clock.advance(1, java.util.concurrent.TimeUnit.SECONDS);
            h.tick();
            assertEquals(1, advertisements(h).size());

            byte[] rs = new byte[8 + 8];
            rs[0] = (byte) Icmp6.TYPE_ROUTER_SOLICITATION;
            rs[8] = (byte) Ndp.OPT_SOURCE_LINK_ADDRESS;
            rs[9] = 1;
            h.send(h.p1, Frames6.icmp6(0x3333_0000_0002L, H1, Ipv6Address.parse("fe80::1"),
                    Ipv6Address.parse("ff02::2"), 255, rs));
            assertEquals(0, advertisements(h).size(), "a solicitation right after an advertisement waits for the next");
            h.clock.advance(3, java.util.concurrent.TimeUnit.SECONDS);
            h.send(h.p1, Frames6.icmp6(0x3333_0000_0002L, H1, Ipv6Address.parse("fe80::1"),
                    Ipv6Address.parse("ff02::2"), 255, rs));
            assertEquals(1, advertisements(h).size(), "3 s later it is answered");
            h.assertCountersAddUp();
        }
    }

    @Test
    void anInterfaceWithoutPrefixesOrWithAdvertisementsOffIsSilent() {
        try (RouterHarness h = harness()) {
            h.router.setRouterAdvertisements(h.router.interfaces().get(0), false);
            h.tick();
            assertEquals(0, advertisements(h).size());
            assertEquals(0, h.sent(h.p3).size(), "br2 has no IPv6 prefix");
        }
    }

    @Test
    void udpToTheGatewayIsAnsweredPortUnreachableQuotingThePacketWithinTheErrorLimit() {
        try (RouterHarness h = harness()) {
            ByteBuf udp = Frames6.udp(GW1, H1, RED, GW, 40000, 9, "anyone?".getBytes());
            byte[] sent = ByteBufUtil.getBytes(udp, IP, udp.readableBytes() - IP);
            h.send(h.p1, udp);
            ByteBuf e = only(h.sent(h.p1));
            assertSound(e);
            assertEquals(H1, Ethernet.dst(e, 0));
            assertEquals(GW.lo(), Ipv6.srcLo(e, IP), "from the address the datagram was sent to");
            assertEquals(RED.lo(), Ipv6.dstLo(e, IP));
            assertEquals(Icmp6.TYPE_DEST_UNREACHABLE, Icmp6.type(e, ICMP));
            assertEquals(4, Icmp6.code(e, ICMP), "port unreachable");
            assertArrayEquals(sent, ByteBufUtil.getBytes(e, ICMP + Icmp6.HEADER_LEN, sent.length), "the packet quoted");
            assertEquals(1, h.gw1Port.counters().drops(DropReason.LOCAL_UNREACHABLE));
            for (int i = 0; i < 20; i++) {
                h.send(h.p1, Frames6.udp(GW1, H1, RED, GW, 40000, 9, new byte[4]));
            }
            assertEquals(5, h.sent(h.p1).size(), "a burst of 6 to one host, then one a second (the first was one)");
            h.clock.advance(1, java.util.concurrent.TimeUnit.SECONDS);
            h.send(h.p1, Frames6.udp(GW1, H1, RED, GW, 40000, 9, new byte[4]));
            assertEquals(1, h.sent(h.p1).size(), "a second later, one more");
            h.assertCountersAddUp();
        }
    }

    @Test
    void aRoutingHeaderOrAMisplacedHopByHopHeaderIsAnsweredWithAParameterProblem() {
        try (RouterHarness h = harness()) {
            byte[] rh0 = java.util.HexFormat.of().parseHex("3a02000100000000" + "20010db8000000000000000000000009");
            h.send(h.p1, Frames6.ipv6(GW1, H1, RED, GW, Ipv6.NH_ROUTING, 64, rh0));
            ByteBuf e = only(h.sent(h.p1));
            assertSound(e);
            assertEquals(Icmp6.TYPE_PARAMETER_PROBLEM, Icmp6.type(e, ICMP));
            assertEquals(0, Icmp6.code(e, ICMP), "erroneous header field");
            assertEquals(Ipv6.HEADER_LEN + 2, e.getInt(ICMP + Icmp6.MTU_OR_POINTER), "at the routing type");
            assertEquals(1, h.gw1Port.counters().drops(DropReason.IPV6_ROUTING_TYPE_0));

            byte[] late = java.util.HexFormat.of().parseHex("0000010400000000" + "3a00010400000000");
            h.send(h.p1, Frames6.ipv6(GW1, H1, RED, GW, Ipv6.NH_DEST_OPTS, 64, late));
            e = only(h.sent(h.p1));
            assertEquals(1, Icmp6.code(e, ICMP), "unrecognized next header: hop-by-hop out of place");
            assertEquals(Ipv6.HEADER_LEN, e.getInt(ICMP + Icmp6.MTU_OR_POINTER), "at the next header field naming it");

            h.send(h.p1, Frames6.udp(GW1, H1, new Ipv6Address(0, 0), GW, 40000, 9, new byte[4]));
            assertTrue(h.sent(h.p1).isEmpty(), "nothing answers a packet from ::");
            h.assertCountersAddUp();
        }
    }

    @Test
    void martianSourcesAndDestinationsAreDroppedAsTheKernelDropsThem() {
        try (RouterHarness h = harness()) {
            for (String src : List.of("ff02::1", "::1")) {
                h.send(h.p1, Frames6.echoRequest(GW1, H1, Ipv6Address.parse(src), GW, 1, 1, new byte[8]));
            }
            assertEquals(2, h.gw1Port.counters().drops(DropReason.IPV6_MARTIAN_SOURCE), "multicast and loopback");
            for (String dst : List.of("::", "::1", "ff01::1", "ff00::1")) {
                h.send(h.p1, Frames6.echoRequest(GW1, H1, RED, Ipv6Address.parse(dst), 1, 1, new byte[8]));
            }
            assertEquals(4, h.gw1Port.counters().drops(DropReason.IPV6_MARTIAN_DESTINATION),
                    "unspecified, loopback, interface-local and scope-0 multicast");
            assertTrue(h.sent(h.p1).isEmpty(), "none answered");
            h.assertCountersAddUp();
        }
    }

    @Test
    void anAddressTheRouterHasAlreadyIsRefused() {
        try (RouterHarness h = harness()) {
            RouterInterface br2 = h.router.interfaces().get(1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> h.router.addAddress6(br2, Ipv6Cidr.parse("fd00:15::5/64")));
            assertEquals("address fd00:15::5 is already the router's (on br1)", e.getMessage());
        }
    }
}
