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
 * The router's first IPv6: on br1 it has fd00:15::5/64 and its link-local address; it answers neighbour
 * solicitations for them as RFC 4861 7.2.4 says and pings to them as RFC 4443 4.2 says, drops what RFC 4861 makes
 * invalid under its reason, and does not route IPv6 yet.
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

            h.send(h.p1, Frames6.echoRequest(GW1, H1, RED, Ipv6Address.parse("fd00:16::3"), 1, 1, new byte[8]));
            assertEquals(1, h.gw1Port.counters().drops(DropReason.L3_PROTOCOL_UNSUPPORTED), "not routed yet");
            assertTrue(h.sent(h.p1).isEmpty(), "no answer to any of them");
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
