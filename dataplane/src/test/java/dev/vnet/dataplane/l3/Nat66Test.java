package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.nat.NatRules;
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
import dev.vnet.dataplane.wire.Tcp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.vnet.dataplane.testing.RouterHarness.GW1;
import static dev.vnet.dataplane.testing.RouterHarness.H1;
import static dev.vnet.dataplane.testing.RouterHarness.H2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NAT66 through the router, as ip6tables MASQUERADE and DNAT do it: red (fd00:15::1) and blue (fd00:15::2) on br1
 * behind fd00:15::5, lan (fd00:1::3) beyond the uplink up6 (fd00:1::2); fd00:15::/64 masqueraded out of up6, tcp/80
 * on fd00:1::2 forwarded to blue. Every translated packet's checksum verifies; the connection table holds IPv6
 * connections beside IPv4 ones and gives their addresses back when they expire.
 */
class Nat66Test {
    private static final int IP = Ethernet.HEADER_LEN;
    private static final int L4 = IP + Ipv6.HEADER_LEN;
    private static final Ipv6Address RED = Ipv6Address.parse("fd00:15::1");
    private static final Ipv6Address BLUE = Ipv6Address.parse("fd00:15::2");
    private static final Ipv6Address GW = Ipv6Address.parse("fd00:15::5");
    private static final Ipv6Address UP = Ipv6Address.parse("fd00:1::2");
    private static final Ipv6Address LAN = Ipv6Address.parse("fd00:1::3");
    private static final long UP_MAC = MacAddr.parse("02:aa:00:00:00:07");
    private static final long LAN_MAC = MacAddr.parse("02:00:00:00:01:07");

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    /** The harness with IPv6 on br1 and on a second uplink, the NAT66 rules, and every host already resolved. */
    private static final class Net implements AutoCloseable {
        final RouterHarness h = new RouterHarness();
        final MemoryPort up = new MemoryPort(7, "up6", h.pipeline);

        Net() {
            RouterInterface br1 = h.router.interfaces().get(0);
            h.router.addAddress6(br1, Ipv6Cidr.parse("fd00:15::5/64"));
            RouterInterface up6 = h.router.addPortInterface("up6", up, UP_MAC, 1500);
            h.router.addAddress6(up6, Ipv6Cidr.parse("fd00:1::2/64"));
            h.router.natRules().add(new NatRules.Masquerade6(Ipv6Cidr.parse("fd00:15::/64"), up6.index()));
            h.router.natRules().add(new NatRules.PortForward6(6, UP, 80, 80, BLUE, 80));
            long now = h.clock.nanos();
            h.router.neighbors6().confirm(RED.hi(), RED.lo(), H1, br1.index(), now, true, (f, o) -> { });
            h.router.neighbors6().confirm(BLUE.hi(), BLUE.lo(), H2, br1.index(), now, true, (f, o) -> { });
            h.router.neighbors6().confirm(LAN.hi(), LAN.lo(), LAN_MAC, up6.index(), now, true, (f, o) -> { });
        }

        ByteBuf only(MemoryPort port) {
            List<ByteBuf> got = h.sent(port);
            assertEquals(1, got.size(), "one frame out of " + port.name() + ", got " + got.size());
            ByteBuf f = got.get(0);
            assertTrue(Frames6.checksumOk(f, IP), "the upper-layer checksum verifies after translation");
            return f;
        }

        @Override
        public void close() {
            h.sent(up);
            h.close();
        }
    }

    private static Ipv6Address src(ByteBuf f) {
        return new Ipv6Address(Ipv6.srcHi(f, IP), Ipv6.srcLo(f, IP));
    }

    private static Ipv6Address dst(ByteBuf f) {
        return new Ipv6Address(Ipv6.dstHi(f, IP), Ipv6.dstLo(f, IP));
    }

    @Test
    void masqueradeTranslatesTheSourceAndTheRepliesBack() {
        try (Net n = new Net()) {
            n.h.send(n.h.p1, Frames6.tcp(GW1, H1, RED, LAN, 40000, 80, 0x02, new byte[0]));
            ByteBuf syn = n.only(n.up);
            assertEquals(UP, src(syn), "the uplink's address as source");
            assertEquals(40000, Tcp.srcPort(syn, L4), "the port kept while it is free (netfilter's choice)");
            assertEquals(LAN_MAC, Ethernet.dst(syn, 0));
            ConnTable table = n.h.router.conntrack();
            assertEquals(1, table.size());
            assertEquals(3, table.addresses6(), "red, lan and the uplink's address, each held once");

            n.h.send(n.up, Frames6.tcp(UP_MAC, LAN_MAC, LAN, UP, 80, 40000, 0x12, new byte[0]));
            ByteBuf synAck = n.only(n.h.p1);
            assertEquals(RED, dst(synAck), "the reply goes back to red");
            assertEquals(40000, Tcp.dstPort(synAck, L4));
            assertEquals(H1, Ethernet.dst(synAck, 0));

            byte[] data = "GET / HTTP/1.0\r\n\r\n".getBytes();
            n.h.send(n.h.p1, Frames6.tcp(GW1, H1, RED, LAN, 40000, 80, 0x18, data));
            ByteBuf get = n.only(n.up);
            assertEquals(UP, src(get), "later packets follow the connection's translation");
            assertArrayEquals(data, ByteBufUtil.getBytes(get, L4 + 20, data.length));
            n.h.assertCountersAddUp();
        }
    }

    @Test
    void twoHostsWithOneSourcePortGetTwoReplyTuples() {
        try (Net n = new Net()) {
            n.h.send(n.h.p1, Frames6.tcp(GW1, H1, RED, LAN, 40000, 80, 0x02, new byte[0]));
            n.h.send(n.h.p2, Frames6.tcp(GW1, H2, BLUE, LAN, 40000, 80, 0x02, new byte[0]));
            List<ByteBuf> out = n.h.sent(n.up);
            assertEquals(2, out.size());
            assertEquals(40000, Tcp.srcPort(out.get(0), L4));
            int second = Tcp.srcPort(out.get(1), L4);
            assertNotEquals(40000, second, "the second gets another port");
            assertTrue(second >= 1024, "from the same class of ports: " + second);
            out.forEach(f -> assertTrue(Frames6.checksumOk(f, IP)));
        }
    }

    @Test
    void aPortForwardReachesBlueWithTheSenderKeptAndItsRepliesComeFromTheUplink() {
        try (Net n = new Net()) {
            n.h.send(n.up, Frames6.tcp(UP_MAC, LAN_MAC, LAN, UP, 50000, 80, 0x02, new byte[0]));
            ByteBuf in = n.only(n.h.p2);
            assertEquals(BLUE, dst(in));
            assertEquals(LAN, src(in), "blue sees who connected (DNAT keeps the source)");
            n.h.send(n.h.p2, Frames6.tcp(GW1, H2, BLUE, LAN, 80, 50000, 0x12, new byte[0]));
            ByteBuf back = n.only(n.up);
            assertEquals(UP, src(back), "the reply comes from the address lan connected to");
            assertEquals(80, Tcp.srcPort(back, L4));
        }
    }

    @Test
    void hairpinTurnsTheForwardBackWithTheGatewayAsSource() {
        try (Net n = new Net()) {
            n.h.send(n.h.p1, Frames6.tcp(GW1, H1, RED, UP, 41000, 80, 0x02, new byte[0]));
            ByteBuf in = n.only(n.h.p2);
            assertEquals(BLUE, dst(in));
            assertEquals(GW, src(in), "from the router's address on br1, so blue's answer comes back through it");
            n.h.sent(n.h.p1); // the bridge had not heard from blue yet: that frame was flooded to red's port too
            n.h.send(n.h.p2, Frames6.tcp(GW1, H2, BLUE, GW, 80, Tcp.srcPort(in, L4), 0x12, new byte[0]));
            ByteBuf back = n.only(n.h.p1);
            assertEquals(RED, dst(back));
            assertEquals(UP, src(back), "red hears from the address it connected to");
            assertEquals(41000, Tcp.dstPort(back, L4));
        }
    }

    @Test
    void pingsThroughNatKeepTheirIdentifierApart() {
        try (Net n = new Net()) {
            n.h.send(n.h.p1, Frames6.echoRequest(GW1, H1, RED, LAN, 7, 1, new byte[16]));
            ByteBuf req = n.only(n.up);
            assertEquals(UP, src(req));
            int id = req.getUnsignedShort(L4 + Icmp6.ECHO_ID);
            ByteBuf reply = Frames6.echoRequest(UP_MAC, LAN_MAC, LAN, UP, id, 1, new byte[16]);
            reply.setByte(L4, Icmp6.TYPE_ECHO_REPLY);
            Icmp6.updateChecksum(reply, IP, L4, Ipv6.payloadLength(reply, IP));
            n.h.send(n.up, reply);
            ByteBuf back = n.only(n.h.p1);
            assertEquals(RED, dst(back));
            assertEquals(7, back.getUnsignedShort(L4 + Icmp6.ECHO_ID), "red's identifier again");
        }
    }

    @Test
    void anIcmpv6ErrorAboutATranslatedPacketReachesItsSenderWithTheQuoteRestored() {
        try (Net n = new Net()) {
            n.h.send(n.h.p1, Frames6.tcp(GW1, H1, RED, LAN, 40000, 80, 0x02, new byte[0]));
            ByteBuf sent = n.only(n.up);
            // A router beyond lan's link answers the translated packet with time exceeded, quoting it.
            byte[] quote = ByteBufUtil.getBytes(sent, IP, sent.readableBytes() - IP);
            byte[] m = new byte[Icmp6.HEADER_LEN + quote.length];
            m[0] = (byte) Icmp6.TYPE_TIME_EXCEEDED;
            System.arraycopy(quote, 0, m, Icmp6.HEADER_LEN, quote.length);
            Ipv6Address far = Ipv6Address.parse("fd00:1::9");
            n.h.send(n.up, Frames6.icmp6(UP_MAC, LAN_MAC, far, UP, 64, m));
            ByteBuf e = n.only(n.h.p1);
            assertEquals(RED, dst(e), "to the sender as it knows itself");
            assertEquals(far, src(e), "from the router that answered");
            int inner = L4 + Icmp6.HEADER_LEN;
            assertEquals(RED, new Ipv6Address(Ipv6.srcHi(e, inner), Ipv6.srcLo(e, inner)), "the quote as red sent it");
            assertEquals(40000, e.getUnsignedShort(inner + Ipv6.HEADER_LEN));
            assertTrue(Frames6.checksumOk(e.slice(inner - IP, e.readableBytes() - inner + IP), IP),
                    "the quoted segment's checksum is right again");

            // The router's own error about a later packet of the connection, whose source NAT made the router's.
            n.h.send(n.up, Frames6.tcp(UP_MAC, LAN_MAC, LAN, UP, 80, 40000, 0x12, new byte[0]));
            n.h.sent(n.h.p1);
            ByteBuf big = Frames6.tcp(GW1, H1, RED, LAN, 40000, 80, 0x10, new byte[1500 - 60]);
            big.setByte(IP + Ipv6.HOP_LIMIT, 1);
            n.h.send(n.h.p1, big);
            ByteBuf own = n.only(n.h.p1);
            assertEquals(Icmp6.TYPE_TIME_EXCEEDED, Icmp6.type(own, L4));
            assertEquals(RED, dst(own), "to red, not to the address NAT gave its packet");
            assertEquals(RED, new Ipv6Address(Ipv6.srcHi(own, inner), Ipv6.srcLo(own, inner)),
                    "quoting red's packet as red sent it");
        }
    }

    @Test
    void theRoutersErrorAboutAForwardedPacketQuotesItAsTheSenderSentIt() {
        try (Net n = new Net()) {
            n.h.send(n.up, Frames6.tcp(UP_MAC, LAN_MAC, LAN, UP, 50000, 80, 0x02, new byte[0]));
            n.only(n.h.p2);
            ByteBuf late = Frames6.tcp(UP_MAC, LAN_MAC, LAN, UP, 50000, 80, 0x10, new byte[0]);
            late.setByte(IP + Ipv6.HOP_LIMIT, 1);
            n.h.send(n.up, late);
            ByteBuf e = n.only(n.up);
            assertEquals(Icmp6.TYPE_TIME_EXCEEDED, Icmp6.type(e, L4));
            assertEquals(LAN, dst(e));
            assertEquals(UP, src(e), "from the uplink's address");
            int inner = L4 + Icmp6.HEADER_LEN;
            assertEquals(UP, new Ipv6Address(Ipv6.dstHi(e, inner), Ipv6.dstLo(e, inner)),
                    "the quote's destination as lan sent it, not blue's");
            assertEquals(80, e.getUnsignedShort(inner + Ipv6.HEADER_LEN + 2));
        }
    }

    @Test
    void anExpiredConnectionGivesItsAddressesBack() {
        try (Net n = new Net()) {
            n.h.send(n.h.p1, Frames6.echoRequest(GW1, H1, RED, LAN, 7, 1, new byte[16]));
            n.h.sent(n.up);
            ConnTable table = n.h.router.conntrack();
            assertEquals(3, table.addresses6());
            n.h.clock.advance(31, TimeUnit.SECONDS);
            assertEquals(1, table.expire(n.h.clock.nanos()));
            assertEquals(0, table.addresses6(), "no address held for nothing");
            n.h.send(n.h.p1, Frames6.echoRequest(GW1, H1, RED, LAN, 8, 1, new byte[16]));
            n.h.sent(n.up);
            assertEquals(1, table.flush(), "conntrack -F");
            assertEquals(0, table.addresses6(), "a flush gives the addresses back too");
        }
    }
}
