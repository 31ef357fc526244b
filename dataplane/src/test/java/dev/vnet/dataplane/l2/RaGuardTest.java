package dev.vnet.dataplane.l2;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.testing.Frames6;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.testing.RouterHarness;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static dev.vnet.dataplane.testing.RouterHarness.H1;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * RA guard on a bridge (RFC 6105, RFC 7113): a tenant's router advertisement never reaches the other ports, nor does
 * a packet that could be one but hides its ICMPv6 header, nor a neighbour advertisement claiming the router's
 * address ({@link NdGuard}); other neighbour discovery from tenants passes.
 */
class RaGuardTest {
    private static final long ALL_NODES_MAC = 0x3333_0000_0001L;
    private static final Ipv6Address LINK_LOCAL = Ipv6Address.parse("fe80::1");
    private static final Ipv6Address ALL_NODES = Ipv6Address.parse("ff02::1");
    private static final int IP = Ethernet.HEADER_LEN;

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    /** A router advertisement (lifetime 1800 s, no options) from h1's link-local address. */
    private static ByteBuf advertisement(int hopLimit) {
        byte[] m = new byte[16];
        m[0] = (byte) Icmp6.TYPE_ROUTER_ADVERTISEMENT;
        m[4] = 64;
        m[6] = 0x07;
        m[7] = 0x08;
        return Frames6.icmp6(ALL_NODES_MAC, H1, LINK_LOCAL, ALL_NODES, hopLimit, m);
    }

    @Test
    void aTenantsRouterAdvertisementStopsAtTheBridge() {
        try (RouterHarness h = new RouterHarness()) {
            h.send(h.p1, advertisement(255));
            assertEquals(1, h.p1.counters().drops(DropReason.RA_GUARD));
            assertEquals(0, h.sent(h.p2).size(), "blue never sees it");
            h.assertCountersAddUp();
        }
    }

    @Test
    void anAdvertisementHiddenBehindAFragmentHeaderStopsToo() {
        try (RouterHarness h = new RouterHarness()) {
            ByteBuf ra = advertisement(255);
            // Put a fragment header (first fragment, more to come) between the IPv6 header and the ICMPv6 message.
            ByteBuf f = Unpooled.buffer(ra.readableBytes() + 8);
            f.writeBytes(ra, 0, IP + Ipv6.HEADER_LEN);
            f.writeBytes(new byte[] {(byte) Ipv6.NH_ICMPV6, 0, 0, 1, 0, 0, 0, 42});
            f.writeBytes(ra, IP + Ipv6.HEADER_LEN, ra.readableBytes() - IP - Ipv6.HEADER_LEN);
            f.setByte(IP + Ipv6.NEXT_HEADER, Ipv6.NH_FRAGMENT);
            f.setShort(IP + Ipv6.PAYLOAD_LENGTH, Ipv6.payloadLength(ra, IP) + 8);
            ra.release();
            h.send(h.p1, f);
            assertEquals(1, h.p1.counters().drops(DropReason.RA_GUARD));
            assertEquals(0, h.sent(h.p2).size());
        }
    }

    @Test
    void otherNeighbourDiscoveryFromTenantsPasses() {
        try (RouterHarness h = new RouterHarness()) {
            h.send(h.p1, Frames6.neighborSolicitation(H1, LINK_LOCAL, Ipv6Address.parse("fe80::2")));
            assertEquals(1, h.sent(h.p2).size(), "a solicitation is flooded to blue");
            h.send(h.p1, advertisement(64)); // not a valid advertisement (RFC 4861: hosts ignore it): a switch passes it
            assertEquals(1, h.sent(h.p2).size());
            assertEquals(0, h.p1.counters().drops(DropReason.RA_GUARD));
        }
    }

    @Test
    void aTenantsAdvertisementClaimingTheGatewaysAddressStopsAtTheBridgeAndItsOwnPasses() {
        try (RouterHarness h = new RouterHarness()) {
            var br1 = h.router.interfaces().get(0);
            h.router.addAddress6(br1, dev.vnet.dataplane.wire.Ipv6Cidr.parse("fd00:15::5/64"));
            Ipv6Address blue = Ipv6Address.parse("fd00:15::2");
            for (Ipv6Address gateway : new Ipv6Address[] {Ipv6Address.parse("fd00:15::5"), br1.linkLocal()}) {
                h.send(h.p1, Frames6.neighborAdvertisement(ALL_NODES_MAC, H1, gateway, ALL_NODES));
            }
            assertEquals(2, h.p1.counters().drops(DropReason.ND_SPOOF), "both the global and the link-local claim");
            assertEquals(0, h.sent(h.p2).size(), "blue's cache keeps the gateway's MAC");
            h.send(h.p1, Frames6.neighborAdvertisement(ALL_NODES_MAC, H1, Ipv6Address.parse("fd00:15::1"), ALL_NODES));
            assertEquals(1, h.sent(h.p2).size(), "an advertisement for red's own address passes");
            h.send(h.p2, Frames6.neighborAdvertisement(ALL_NODES_MAC, dev.vnet.dataplane.testing.RouterHarness.H2,
                    blue, ALL_NODES));
            assertEquals(1, h.sent(h.p1).size());
            h.assertCountersAddUp();
        }
    }
}
