package dev.vnet.dataplane.filter;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.l3.RouterInterface;
import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.testing.RouterHarness;
import dev.vnet.dataplane.trace.BpfFilter;
import dev.vnet.dataplane.trace.DecisionTrace;
import dev.vnet.dataplane.trace.FrameSummary;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.testing.Frames6;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Tcp;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.vnet.dataplane.testing.RouterHarness.GW1;
import static dev.vnet.dataplane.testing.RouterHarness.H1;
import static dev.vnet.dataplane.testing.RouterHarness.H1_IP;
import static dev.vnet.dataplane.testing.RouterHarness.H2;
import static dev.vnet.dataplane.testing.RouterHarness.H2_IP;
import static dev.vnet.dataplane.testing.RouterHarness.LAN_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The policy on traffic a bridge switches between two of its namespaces (br_netfilter), on the harness's br1 (h1
 * 192.168.15.1 on p1, h2 192.168.15.2 on p2, the gateway on gw:br1): off, h1 reaches h2 whatever the rules; on, a
 * rule naming the two by address decides a new connection's first packet, the reply and later packets pass by the
 * connection, a reject answers from the router, ARP and routed traffic are not the bridge filter's.
 */
class SwitchedFilterTest {
    private static final int IP = Ethernet.HEADER_LEN;
    private static final int L4 = IP + Ipv4.MIN_HEADER_LEN;
    private static final int BR1 = 0;

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    /** The harness with its hosts known, br1 filtering, and h1 → h2 tcp/22 and udp rejected, tcp/23 dropped. */
    private static RouterHarness filtering(boolean on) {
        RouterHarness h = new RouterHarness().withSeedNat();
        for (var p : List.of(h.p1, h.p2, h.p3, h.uplink)) {
            h.sent(p);
        }
        Ipv4Cidr h1 = new Ipv4Cidr(H1_IP, 32);
        Ipv4Cidr h2 = new Ipv4Cidr(H2_IP, 32);
        h.router.policy().set(List.of(
                new FilterRule(0, BR1, BR1, h1, h2, 6, 22, 22, 0, FilterRule.ANY, FilterRule.Action.REJECT),
                new FilterRule(1, BR1, BR1, h1, h2, 6, 23, 23, 0, FilterRule.ANY, FilterRule.Action.DROP),
                new FilterRule(2, BR1, BR1, h1, h2, 17, 0, 65535, 0, FilterRule.ANY, FilterRule.Action.REJECT)),
                List.of("from h1 to h2 tcp port 22 reject", "from h1 to h2 tcp port 23 drop",
                        "from h1 to h2 udp reject"), FilterRule.Action.ACCEPT);
        RouterInterface br1 = h.router.interfaces().get(BR1);
        h.router.filterSwitched(h.br1, br1, on);
        return h;
    }

    private static ByteBuf syn(long dstMac, long srcMac, int src, int dst, int srcPort, int dstPort) {
        return FrameBuilder.tcp(dstMac, srcMac, src, dst, srcPort, dstPort, 0x02, new byte[0]);
    }

    @Test
    void withoutFilteringTheBridgeSwitchesWhatTheRulesWouldRefuse() {
        try (RouterHarness h = filtering(false)) {
            h.send(h.p1, syn(H2, H1, H1_IP, H2_IP, 40000, 22));
            assertEquals(1, h.sent(h.p2).size(), "switched as a plain bridge does");
            assertEquals(0, h.router.policy().packets(0), "no rule was asked");
        }
    }

    @Test
    void aRejectedConnectionIsAnsweredWithAResetFromTheAddressCalledAndNeverReachesTheOtherPort() {
        try (RouterHarness h = filtering(true)) {
            h.send(h.p1, syn(H2, H1, H1_IP, H2_IP, 40000, 22));
            assertTrue(h.sent(h.p2).isEmpty(), "h2 never sees the SYN");
            List<ByteBuf> back = h.sent(h.p1);
            assertEquals(1, back.size(), "one answer to h1: " + back.stream().map(FrameSummary::of).toList());
            ByteBuf rst = back.get(0);
            assertEquals(H2_IP, Ipv4.src(rst, IP), "the reset comes from the address h1 called");
            assertEquals(H1_IP, Ipv4.dst(rst, IP));
            assertEquals(22, Tcp.srcPort(rst, L4));
            assertEquals(0x14, Tcp.flags(rst, L4) & 0x14, "RST and ACK");
            assertEquals(1, h.p1.counters().drops(DropReason.POLICY_REJECT), "counted on h1's port");
            assertEquals(1, h.router.policy().packets(0));
            assertEquals(0, h.router.conntrack().size(), "a refused packet makes no connection");

            h.send(h.p1, FrameBuilder.udp(H2, H1, H1_IP, H2_IP, 40001, 53, new byte[8]));
            ByteBuf icmp = h.sent(h.p1).get(0);
            assertEquals(Icmp4.TYPE_DEST_UNREACHABLE, icmp.getUnsignedByte(L4));
            assertEquals(3, icmp.getUnsignedByte(L4 + 1), "port unreachable");
            assertEquals(RouterHarness.GW1_IP, Ipv4.src(icmp, IP), "from the gateway");

            h.send(h.p1, syn(H2, H1, H1_IP, H2_IP, 40002, 23));
            assertTrue(h.sent(h.p1).isEmpty() && h.sent(h.p2).isEmpty(), "a drop answers nothing");
            assertEquals(1, h.p1.counters().drops(DropReason.POLICY_DROP));
            h.assertCountersAddUp();
        }
    }

    @Test
    void anAcceptedConnectionIsTrackedSoItsReplyAndLaterPacketsPassWithoutTheRules() throws Exception {
        try (RouterHarness h = filtering(true)) {
            h.router.policy().set(List.of(new FilterRule(0, BR1, BR1, null, null, 6, 80, 80, 0, FilterRule.ANY,
                    FilterRule.Action.ACCEPT)), List.of("tcp port 80 accept"), FilterRule.Action.DROP);
            h.router.filterSwitched(h.br1, h.router.interfaces().get(BR1), true);
            DecisionTrace t = new DecisionTrace(BpfFilter.compile("tcp"), 4);
            h.pipeline.setTrace(t);
            h.send(h.p1, syn(H2, H1, H1_IP, H2_IP, 40000, 80));
            assertEquals(1, h.sent(h.p2).size(), "the SYN reaches h2");
            h.send(h.p2, FrameBuilder.tcp(H1, H2, H2_IP, H1_IP, 80, 40000, 0x12, new byte[0]));
            assertEquals(1, h.sent(h.p1).size(), "the SYN-ACK, a packet of the connection, reaches h1");
            h.send(h.p1, FrameBuilder.tcp(H2, H1, H1_IP, H2_IP, 40000, 80, 0x10, "data".getBytes()));
            assertEquals(1, h.sent(h.p2).size(), "and the data after it");
            assertEquals(1, h.router.policy().packets(0), "the rule decided the first packet only");
            assertEquals(1, h.router.conntrack().size(), "one connection, switched, not translated");
            h.send(h.p2, syn(H1, H2, H2_IP, H1_IP, 41000, 22));
            assertTrue(h.sent(h.p1).isEmpty(), "a new connection the rules do not accept: the default drops it");
            String trace = t.poll(1000) + t.poll(1000) + t.poll(1000);
            assertTrue(trace.contains("SwitchedFilter") && trace.contains("policy: rule 1 (tcp port 80 accept)"
                    + " accepts") && trace.contains("connection recorded: switched on"), trace);
            assertTrue(trace.contains("tracked connection: switched on"), trace);
        }
    }

    @Test
    void ipv6BetweenTwoNamespacesIsDecidedTrackedAndRejectedWithIcmpv6() {
        try (RouterHarness h = filtering(true)) {
            RouterInterface br1 = h.router.interfaces().get(BR1);
            h.router.addAddress6(br1, Ipv6Cidr.parse("fd00:15::5/64"));
            Ipv6Address red = Ipv6Address.parse("fd00:15::1");
            Ipv6Address blue = Ipv6Address.parse("fd00:15::2");
            h.router.neighbors6().confirm(red.hi(), red.lo(), H1, BR1, h.clock.nanos(), true, (f, o) -> { });
            h.router.policy().set(List.of(new FilterRule(0, BR1, BR1, new Ipv6Cidr(red, 128),
                            new Ipv6Cidr(blue, 128), 17, 53, 53, 0, FilterRule.ANY, FilterRule.Action.REJECT)),
                    List.of("from red to blue udp port 53 reject"), FilterRule.Action.ACCEPT);
            h.router.filterSwitched(h.br1, br1, true);
            h.send(h.p1, Frames6.udp(H2, H1, red, blue, 4000, 53, new byte[8]));
            assertTrue(h.sent(h.p2).isEmpty(), "blue never sees it");
            ByteBuf e = h.sent(h.p1).get(0);
            assertEquals(Icmp6.TYPE_DEST_UNREACHABLE, Icmp6.type(e, IP + Ipv6.HEADER_LEN));
            assertEquals(4, Icmp6.code(e, IP + Ipv6.HEADER_LEN), "port unreachable");
            assertEquals(1, h.router.policy().packets(0));

            h.send(h.p1, Frames6.udp(H2, H1, red, blue, 4001, 9000, new byte[8]));
            assertEquals(1, h.sent(h.p2).size(), "another port is switched");
            h.send(h.p2, Frames6.udp(H1, H2, blue, red, 9000, 4001, new byte[8]));
            assertEquals(1, h.sent(h.p1).size(), "and its reply");
            assertEquals(1, h.router.conntrack().size(), "one IPv6 connection, tracked");
            assertEquals(2, h.router.conntrack().addresses6(), "its two addresses, held once each");
            assertEquals(1, h.router.conntrack().flush());
            assertEquals(0, h.router.conntrack().addresses6(), "given back when it goes");
        }
    }

    @Test
    void arpAndRoutedTrafficAreNotTheBridgeFiltersToDecide() {
        try (RouterHarness h = filtering(true)) {
            h.router.policy().set(List.of(), List.of(), FilterRule.Action.DROP);
            h.router.filterSwitched(h.br1, h.router.interfaces().get(BR1), true);
            ByteBuf arp = FrameBuilder.ethernet(H2, H1, Ethernet.TYPE_ARP, new byte[28]);
            dev.vnet.dataplane.wire.Arp.write(arp, Ethernet.HEADER_LEN, dev.vnet.dataplane.wire.Arp.OP_REQUEST, H1,
                    H1_IP, H2, H2_IP);
            h.send(h.p1, arp);
            assertEquals(1, h.sent(h.p2).size(), "unicast ARP is switched: not IP");
            h.router.filterSwitched(h.br1, h.router.interfaces().get(BR1), false);
            h.router.policy().set(List.of(), List.of(), FilterRule.Action.ACCEPT);
            h.router.filterSwitched(h.br1, h.router.interfaces().get(BR1), true);
            h.send(h.p1, syn(GW1, H1, H1_IP, LAN_IP, 40000, 80));
            assertEquals(1, h.sent(h.uplink).size(), "routed: the router's filter decides, the bridge's is not asked");
            ByteBuf bad = syn(H2, H1, H1_IP, H2_IP, 40001, 80);
            bad.setByte(IP + 10, bad.getByte(IP + 10) ^ 0xFF); // the header checksum
            h.send(h.p1, bad);
            assertTrue(h.sent(h.p2).isEmpty(), "a malformed IP header is not switched on");
            assertEquals(1, h.p1.counters().drops(DropReason.IPV4_BAD_CHECKSUM), "it is dropped with its reason");
        }
    }
}
