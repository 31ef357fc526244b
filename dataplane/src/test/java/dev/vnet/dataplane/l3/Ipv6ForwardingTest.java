package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.MemoryPort;
import dev.vnet.dataplane.testing.Frames6;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.testing.RouterHarness;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.Ndp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.vnet.dataplane.testing.RouterHarness.GW1;
import static dev.vnet.dataplane.testing.RouterHarness.GW2;
import static dev.vnet.dataplane.testing.RouterHarness.H1;
import static dev.vnet.dataplane.testing.RouterHarness.H3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IPv6 forwarding (RFC 8200, RFC 4861, RFC 4443): br1 has fd00:15::5/64 (red fd00:15::1 on p1), br2 fd00:16::5/64
 * (host fd00:16::3 on p3), and a small uplink of MTU 1280 fd00:1::2/64. Next hops are resolved by neighbour
 * discovery, the hop limit is decremented, and what cannot be forwarded is answered with the ICMPv6 error the kernel
 * sends, from the gateway's address.
 */
class Ipv6ForwardingTest {
    private static final int IP = Ethernet.HEADER_LEN;
    private static final int ICMP = IP + Ipv6.HEADER_LEN;
    private static final Ipv6Address GW = Ipv6Address.parse("fd00:15::5");
    private static final Ipv6Address RED = Ipv6Address.parse("fd00:15::1");
    private static final Ipv6Address GW_BR2 = Ipv6Address.parse("fd00:16::5");
    private static final Ipv6Address HOST3 = Ipv6Address.parse("fd00:16::3");
    private static final Ipv6Address FAR = Ipv6Address.parse("fd00:1::3");
    private static final long SMALL_MAC = MacAddr.parse("02:aa:00:00:00:09");
    private static final long FAR_MAC = MacAddr.parse("02:00:00:00:01:09");

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    /** The harness with IPv6 on both bridges and a 1280-byte uplink, red known to the router. */
    private static final class Net implements AutoCloseable {
        final RouterHarness h = new RouterHarness();
        final MemoryPort small = new MemoryPort(7, "small", h.pipeline);

        Net() {
            h.router.addAddress6(h.router.interfaces().get(0), Ipv6Cidr.parse("fd00:15::5/64"));
            h.router.addAddress6(h.router.interfaces().get(1), Ipv6Cidr.parse("fd00:16::5/64"));
            RouterInterface up = h.router.addPortInterface("small", small, SMALL_MAC, Ipv6.MIN_MTU);
            h.router.addAddress6(up, Ipv6Cidr.parse("fd00:1::2/64"));
            // red asks for its gateway, and so the router learns where red is (RFC 4861 7.2.3)
            h.send(h.p1, Frames6.neighborSolicitation(H1, RED, GW));
            h.sent(h.p1);
            h.sent(h.p2);
        }

        /** Answers the router's solicitation for {@code target} on {@code port} from {@code mac}. */
        void answer(MemoryPort port, long mac, long routerMac, Ipv6Address target, Ipv6Address router) {
            h.send(port, Frames6.neighborAdvertisement(routerMac, mac, target, router));
        }

        List<ByteBuf> sent(MemoryPort port) {
            return h.sent(port);
        }

        @Override
        public void close() {
            h.sent(small);
            h.close();
        }
    }

    private static ByteBuf ping(Ipv6Address src, Ipv6Address dst, int hopLimit, int size) {
        ByteBuf f = Frames6.echoRequest(GW1, H1, src, dst, 9, 1, new byte[size]);
        f.setByte(IP + Ipv6.HOP_LIMIT, hopLimit);
        Icmp6.updateChecksum(f, IP, ICMP, Ipv6.payloadLength(f, IP));
        return f;
    }

    private static ByteBuf only(List<ByteBuf> frames) {
        assertEquals(1, frames.size(), "exactly one frame, got " + frames.size());
        return frames.get(0);
    }

    private static Ipv6Address src(ByteBuf f) {
        return new Ipv6Address(Ipv6.srcHi(f, IP), Ipv6.srcLo(f, IP));
    }

    private static Ipv6Address dst(ByteBuf f) {
        return new Ipv6Address(Ipv6.dstHi(f, IP), Ipv6.dstLo(f, IP));
    }

    /** Checks the ICMPv6 error {@code e} went to red from {@code from} with type and code, quoting {@code about}. */
    private static void assertError(ByteBuf e, Ipv6Address from, int type, int code, byte[] about) {
        assertNull(Ipv6.check(e, IP, e.readableBytes() - IP), "IPv6 header");
        assertNull(Icmp6.check(e, IP, ICMP, Ipv6.payloadLength(e, IP)), "ICMPv6 checksum");
        assertEquals(H1, Ethernet.dst(e, 0), "to red's MAC");
        assertEquals(GW1, Ethernet.src(e, 0));
        assertEquals(from, src(e), "from");
        assertEquals(RED, dst(e), "to the sender");
        assertEquals(type, Icmp6.type(e, ICMP), "type");
        assertEquals(code, Icmp6.code(e, ICMP), "code");
        int quoted = Math.min(about.length - IP, Icmp6Errors.MAX_QUOTE);
        assertArrayEquals(java.util.Arrays.copyOfRange(about, IP, IP + quoted),
                ByteBufUtil.getBytes(e, ICMP + Icmp6.HEADER_LEN, quoted), "the packet as it arrived, quoted");
    }

    @Test
    void aPacketToAnotherBridgeWaitsForNeighbourDiscoveryThenGoesOnWithItsHopLimitDecremented() {
        try (Net n = new Net()) {
            n.h.send(n.h.p1, ping(RED, HOST3, 64, 16));
            ByteBuf ns = only(n.sent(n.h.p3));
            assertEquals(Icmp6.TYPE_NEIGHBOR_SOLICITATION, Icmp6.type(ns, ICMP));
            assertEquals(0x3333_FF00_0003L, Ethernet.dst(ns, 0), "to the solicited-node group's MAC");
            assertEquals(Ipv6Address.parse("ff02::1:ff00:3"), dst(ns));
            assertEquals(GW_BR2, src(ns), "from the router's address on that prefix");
            assertEquals(255, Ipv6.hopLimit(ns, IP));
            int length = Ipv6.payloadLength(ns, IP);
            assertNull(Ndp.check(ns, IP, ICMP, length), "valid by RFC 4861");
            assertEquals(HOST3.lo(), Ndp.targetLo(ns, ICMP));
            assertEquals(GW2, Ndp.linkLayerAddress(ns, ICMP, length, Ndp.OPT_SOURCE_LINK_ADDRESS));
            assertEquals(NeighborTable.State.INCOMPLETE, n.h.router.neighbors6().stateOf(HOST3.hi(), HOST3.lo()));

            n.answer(n.h.p3, H3, GW2, HOST3, GW_BR2);
            ByteBuf out = only(n.sent(n.h.p3));
            assertEquals(H3, Ethernet.dst(out, 0));
            assertEquals(GW2, Ethernet.src(out, 0));
            assertEquals(63, Ipv6.hopLimit(out, IP), "one hop");
            assertEquals(RED, src(out));
            assertNull(Icmp6.check(out, IP, ICMP, Ipv6.payloadLength(out, IP)), "no checksum to fix in IPv6");
            assertEquals(NeighborTable.State.REACHABLE, n.h.router.neighbors6().stateOf(HOST3.hi(), HOST3.lo()));

            n.h.send(n.h.p1, ping(RED, HOST3, 64, 16));
            assertEquals(63, Ipv6.hopLimit(only(n.sent(n.h.p3)), IP), "straight through once resolved");
            n.h.assertCountersAddUp();
        }
    }

    @Test
    void hopLimitOneIsAnsweredWithTimeExceededFromTheGateway() {
        try (Net n = new Net()) {
            ByteBuf p = ping(RED, HOST3, 1, 16);
            byte[] about = ByteBufUtil.getBytes(p);
            n.h.send(n.h.p1, p);
            assertError(only(n.sent(n.h.p1)), GW, Icmp6.TYPE_TIME_EXCEEDED, 0, about);
            assertTrue(n.sent(n.h.p3).isEmpty(), "not forwarded");
            assertEquals(1, n.h.gw1Port.counters().drops(DropReason.TTL_EXCEEDED));
            n.h.assertCountersAddUp();
        }
    }

    @Test
    void noRouteIsAnsweredWithDestinationUnreachableCode0() {
        try (Net n = new Net()) {
            ByteBuf p = ping(RED, Ipv6Address.parse("2001:db8::1"), 64, 16);
            byte[] about = ByteBufUtil.getBytes(p);
            n.h.send(n.h.p1, p);
            assertError(only(n.sent(n.h.p1)), GW, Icmp6.TYPE_DEST_UNREACHABLE, 0, about);
            assertEquals(1, n.h.gw1Port.counters().drops(DropReason.NO_ROUTE));
        }
    }

    @Test
    void aPacketBiggerThanTheNextLinkGetsPacketTooBigWithItsMtuEveryTime() {
        try (Net n = new Net()) {
            for (int i = 0; i < 10; i++) { // more than the rate limit's burst: PMTU discovery is never limited
                ByteBuf p = ping(RED, FAR, 64, 1300 - 48); // 1300 bytes of IPv6
                byte[] about = ByteBufUtil.getBytes(p);
                n.h.send(n.h.p1, p);
                ByteBuf e = only(n.sent(n.h.p1));
                assertError(e, GW, Icmp6.TYPE_PACKET_TOO_BIG, 0, about);
                assertEquals(Ipv6.MIN_MTU, e.getInt(ICMP + Icmp6.MTU_OR_POINTER), "the next link's MTU");
                assertTrue(e.readableBytes() - IP <= Ipv6.MIN_MTU, "the error itself fits the minimum MTU");
            }
            assertEquals(10, n.h.gw1Port.counters().drops(DropReason.PACKET_TOO_BIG));
            n.h.send(n.h.p1, ping(RED, FAR, 64, 1280 - 48)); // exactly 1280: fits
            assertTrue(n.sent(n.h.p1).isEmpty(), "no error for a packet that fits");
            assertEquals(1, n.sent(n.small).size(), "a solicitation for the far host: the packet waits for it");
        }
    }

    @Test
    void linkLocalSourcesAndDestinationsStayOnTheirLink() {
        try (Net n = new Net()) {
            Ipv6Address redLinkLocal = Ipv6Address.linkLocal(H1);
            ByteBuf p = ping(redLinkLocal, HOST3, 64, 16);
            n.h.send(n.h.p1, p);
            ByteBuf e = only(n.sent(n.h.p1));
            assertEquals(Icmp6.TYPE_DEST_UNREACHABLE, Icmp6.type(e, ICMP));
            assertEquals(2, Icmp6.code(e, ICMP), "beyond scope of source address");
            assertEquals(redLinkLocal, dst(e));
            assertEquals(1, n.h.gw1Port.counters().drops(DropReason.IPV6_BEYOND_SCOPE));

            n.h.send(n.h.p1, ping(RED, Ipv6Address.linkLocal(H3), 64, 16));
            assertEquals(1, n.h.gw1Port.counters().drops(DropReason.IPV6_LINK_LOCAL_NOT_ROUTED));
            assertTrue(n.sent(n.h.p1).isEmpty() && n.sent(n.h.p3).isEmpty(), "nothing sent for it");
            n.h.assertCountersAddUp();
        }
    }

    @Test
    void aNeighbourThatNeverAnswersGetsItsSendersAddressUnreachable() {
        try (Net n = new Net()) {
            n.h.send(n.h.p1, ping(RED, HOST3, 64, 16));
            assertEquals(1, n.sent(n.h.p3).size(), "the first solicitation");
            for (int i = 1; i <= 3; i++) {
                n.h.clock.advance(1, TimeUnit.SECONDS);
                n.h.tick();
                List<ByteBuf> at3 = n.sent(n.h.p3);
                long solicitations = at3.stream().filter(f -> Ethernet.type(f, 0) == Ethernet.TYPE_IPV6
                        && Icmp6.type(f, ICMP) == Icmp6.TYPE_NEIGHBOR_SOLICITATION).count();
                assertEquals(i < 3 ? 1 : 0, solicitations, "retransmission " + i);
            }
            ByteBuf e = n.sent(n.h.p1).stream().filter(f -> Ethernet.type(f, 0) == Ethernet.TYPE_IPV6
                    && Icmp6.type(f, ICMP) == Icmp6.TYPE_DEST_UNREACHABLE).findFirst().orElseThrow(
                            () -> new AssertionError("no address unreachable after three unanswered solicitations"));
            assertEquals(3, Icmp6.code(e, ICMP), "address unreachable");
            assertEquals(RED, dst(e));
            assertEquals(GW_BR2, src(e), "from the router's address on the way it could not go");
            assertEquals(HOST3.lo(), Ipv6.dstLo(e, ICMP + Icmp6.HEADER_LEN), "quotes the packet");
            assertNull(n.h.router.neighbors6().stateOf(HOST3.hi(), HOST3.lo()), "the entry is gone");
            assertEquals(1, n.h.router.iface(1).port().counters().drops(DropReason.NEIGHBOR_UNRESOLVED));
        }
    }

    @Test
    void staticRoutesGoViaTheirGatewayAndAdvertisementsThenNameADefaultRouter() {
        try (Net n = new Net()) {
            n.h.tick();
            ByteBuf ra = n.sent(n.h.p1).stream().filter(f -> Ethernet.type(f, 0) == Ethernet.TYPE_IPV6
                    && Icmp6.type(f, ICMP) == Icmp6.TYPE_ROUTER_ADVERTISEMENT).findFirst().orElseThrow();
            assertEquals(RouterAdvertisements.ROUTER_LIFETIME_SECONDS, ra.getUnsignedShort(ICMP + Ndp.RA_LIFETIME),
                    "the router reaches other prefixes: hosts may take it for their default router");

            Ipv6Address gateway = Ipv6Address.parse("fd00:1::9");
            n.h.router.addRoute6(Ipv6Cidr.parse("2001:db8::/32"), gateway);
            n.h.send(n.h.p1, ping(RED, Ipv6Address.parse("2001:db8:5::7"), 64, 16));
            ByteBuf ns = only(n.sent(n.small));
            assertEquals(gateway.lo(), Ndp.targetLo(ns, ICMP), "the gateway is resolved, not the destination");
            n.answer(n.small, FAR_MAC, SMALL_MAC, gateway, Ipv6Address.parse("fd00:1::2"));
            ByteBuf out = only(n.sent(n.small));
            assertEquals(FAR_MAC, Ethernet.dst(out, 0));
            assertEquals(Ipv6Address.parse("2001:db8:5::7"), dst(out));

            assertThrows(IllegalArgumentException.class, () -> n.h.router.addRoute6(Ipv6Cidr.parse("2001:db9::/32"),
                    Ipv6Address.parse("fd00:99::1")), "a gateway on none of the router's prefixes");
            assertEquals(Router.RouteRemoval.CONNECTED,
                    n.h.router.removeStaticRoute6(Ipv6Cidr.parse("fd00:16::/64")));
            assertEquals(Router.RouteRemoval.REMOVED, n.h.router.removeStaticRoute6(Ipv6Cidr.parse("2001:db8::/32")));
            n.h.send(n.h.p1, ping(RED, Ipv6Address.parse("2001:db8:5::7"), 64, 16));
            assertEquals(Icmp6.TYPE_DEST_UNREACHABLE, Icmp6.type(only(n.sent(n.h.p1)), ICMP), "no route any more");
        }
    }

    @Test
    void anUnaskedAdvertisementTeachesNothingAndMulticastIsNotRouted() {
        try (Net n = new Net()) {
            n.answer(n.h.p3, H3, GW2, HOST3, GW_BR2);
            assertNull(n.h.router.neighbors6().stateOf(HOST3.hi(), HOST3.lo()),
                    "an advertisement nobody asked for creates no entry (RFC 4861 7.2.5)");
            ByteBuf mld = Frames6.echoRequest(0x3333_0000_0016L, H1, RED, Ipv6Address.parse("ff05::2"), 1, 1,
                    new byte[8]);
            n.h.send(n.h.p1, mld);
            assertTrue(n.sent(n.h.p3).isEmpty() && n.sent(n.small).isEmpty(), "site multicast goes nowhere");
            n.h.assertCountersAddUp();
        }
    }

    @Test
    void anInterfaceBelowIpv6sMinimumMtuTakesNoIpv6Address() {
        try (RouterHarness h = new RouterHarness()) {
            RouterInterface uplink = h.router.interfaces().get(2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> h.router.addAddress6(uplink, Ipv6Cidr.parse("fd00:1::2/64")));
            assertTrue(e.getMessage().contains("MTU 1000") && e.getMessage().contains("1280"), e.getMessage());
        }
    }
}
