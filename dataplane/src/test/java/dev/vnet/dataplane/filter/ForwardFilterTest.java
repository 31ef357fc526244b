package dev.vnet.dataplane.filter;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.Frames6;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.testing.RouterHarness;
import dev.vnet.dataplane.trace.BpfFilter;
import dev.vnet.dataplane.trace.Capture;
import dev.vnet.dataplane.trace.CaptureFilter;
import dev.vnet.dataplane.trace.DecisionTrace;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import dev.vnet.dataplane.wire.Tcp;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.vnet.dataplane.testing.RouterHarness.GW1;
import static dev.vnet.dataplane.testing.RouterHarness.GW_UPLINK;
import static dev.vnet.dataplane.testing.RouterHarness.H1;
import static dev.vnet.dataplane.testing.RouterHarness.LAN;
import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router's filter on the seed lab's harness (red 192.168.15.1 on br1, lan 192.168.1.3 behind the uplink): rules
 * decide a new connection's first packet after DNAT and before SNAT, with nft's actions; the connection's later
 * packets are its own; counters count what each rule decided.
 */
class ForwardFilterTest {
    private static final int IP = Ethernet.HEADER_LEN;
    private static final int L4 = IP + Ipv4.MIN_HEADER_LEN;
    private static final int H1_IP = parse("192.168.15.1");
    private static final int LAN_IP = parse("192.168.1.3");
    private static final int UP_IP = parse("192.168.1.2");
    private static final int BR1 = 0;
    private static final int UPLINK = 2;

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    /** The seed lab's harness, the frames its set-up caused (ARP) taken off the ports. */
    private static RouterHarness seed() {
        RouterHarness h = new RouterHarness().withSeedNat();
        for (var p : List.of(h.p1, h.p2, h.p3, h.uplink)) {
            h.sent(p);
        }
        return h;
    }

    private static FilterRule rule(int index, int in, int out, int protocol, int port, FilterRule.Action action) {
        return new FilterRule(index, in, out, null, null, protocol, port < 0 ? 0 : port, port < 0 ? 65535 : port, 0,
                FilterRule.ANY, action);
    }

    @Test
    void aRejectRuleAnswersTcpWithAResetAndUdpWithPortUnreachableAndCountsThem() {
        try (RouterHarness h = seed()) {
            h.router.policy().set(List.of(rule(0, BR1, UPLINK, FilterRule.ANY, -1, FilterRule.Action.REJECT)),
                    List.of("from br1 to uplink reject"), FilterRule.Action.ACCEPT);
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 40000, 80, 0x02, new byte[0]));
            ByteBuf rst = h.sent(h.p1).get(0);
            assertEquals(Ipv4.PROTO_TCP, Ipv4.protocol(rst, IP));
            assertEquals(LAN_IP, Ipv4.src(rst, IP), "the reset comes from the address red called");
            assertEquals(0x14, Tcp.flags(rst, L4) & 0x14, "RST and ACK");
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40001, 53, new byte[8]));
            ByteBuf icmp = h.sent(h.p1).get(0);
            assertEquals(Icmp4.TYPE_DEST_UNREACHABLE, icmp.getUnsignedByte(L4));
            assertEquals(3, icmp.getUnsignedByte(L4 + 1), "port unreachable, as nft's reject");
            List<ByteBuf> atLan = h.sent(h.uplink);
            assertTrue(atLan.isEmpty(), "nothing reached lan: " + atLan.stream().map(
                    f -> dev.vnet.dataplane.trace.FrameSummary.of(f)).toList());
            assertEquals(2, h.gw1Port.counters().drops(DropReason.POLICY_REJECT));
            assertEquals(2, h.router.policy().packets(0));
            assertEquals(0, h.router.conntrack().size(), "a rejected packet makes no connection");
            h.assertCountersAddUp();
        }
    }

    @Test
    void aDefaultDropLetsOnlyWhatARuleAcceptsAndTheRuleNamesItselfInTheTrace() throws Exception {
        try (RouterHarness h = seed()) {
            h.router.policy().set(List.of(rule(0, UPLINK, FilterRule.ANY, 6, -1, FilterRule.Action.ACCEPT)
                            .withForwarded(1)),
                    List.of("from uplink forwarded tcp accept"), FilterRule.Action.DROP);
            DecisionTrace t = new DecisionTrace(BpfFilter.compile("tcp"), 3); // red's frame: at its port, then the router
            h.pipeline.setTrace(t);
            h.send(h.uplink, FrameBuilder.tcp(GW_UPLINK, LAN, LAN_IP, UP_IP, 50000, 80, 0x02, new byte[0]));
            assertEquals(1, h.sent(h.p2).size(), "the forwarded port reaches blue");
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 40002, 22, 0x02, new byte[0]));
            assertTrue(h.sent(h.uplink).isEmpty(), "red's own connection is dropped by the default");
            assertEquals(1, h.gw1Port.counters().drops(DropReason.POLICY_DROP));
            String trace = t.poll(1000) + t.poll(1000) + t.poll(1000);
            assertTrue(trace.contains("policy: rule 1 (from uplink forwarded tcp accept) accepts"), trace);
            assertTrue(trace.contains("policy: the default policy (drop) drops"), trace);
            assertTrue(trace.contains("=> drop: policy-drop by the default policy (drop)"), trace);
        }
    }

    @Test
    void aDropCaptureNamesTheRuleThatRejectedOrDroppedTheFrame() throws Exception {
        try (RouterHarness h = seed()) {
            h.router.policy().set(List.of(rule(0, BR1, UPLINK, 17, 53, FilterRule.Action.DROP),
                            rule(1, BR1, UPLINK, 6, -1, FilterRule.Action.REJECT)),
                    List.of("from br1 to uplink udp port 53 drop", "from br1 to uplink tcp reject"),
                    FilterRule.Action.ACCEPT);
            Capture drops = new Capture(1, Capture.DROPS, CaptureFilter.ALL, 16, 65535);
            h.pipeline.addDropCapture(drops);
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40010, 53, new byte[8]));
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 40011, 80, 0x02, new byte[0]));
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40012, 9, new byte[8]));
            List<String> seen = new java.util.ArrayList<>();
            drops.drain((port, name, d, data, length, wire, nanos, why, detail) -> seen.add(why.label() + " by "
                    + detail));
            assertEquals(List.of("policy-drop by rule 1 (from br1 to uplink udp port 53 drop)",
                    "policy-reject by rule 2 (from br1 to uplink tcp reject)"), seen,
                    "each refused frame's capture names its rule; the accepted one is not a drop");
        }
    }

    @Test
    void anEstablishedConnectionKeepsGoingWhenARuleAgainstItComesAndANewOneIsRefused() {
        try (RouterHarness h = seed()) {
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 40003, 80, 0x02, new byte[0]));
            assertEquals(1, h.sent(h.uplink).size());
            h.router.policy().set(List.of(rule(0, FilterRule.ANY, UPLINK, 6, 80, FilterRule.Action.DROP)),
                    List.of("to uplink tcp port 80 drop"), FilterRule.Action.ACCEPT);
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 40003, 80, 0x10, new byte[100]));
            assertEquals(1, h.sent(h.uplink).size(), "the connection's later packets are its own");
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 40004, 80, 0x02, new byte[0]));
            assertTrue(h.sent(h.uplink).isEmpty(), "a new one meets the rule");
            assertEquals(1, h.router.policy().packets(0), "the rule decided one packet: the new connection's first");
        }
    }

    @Test
    void aRejectMayAnswerEveryProtocolWithAdministrativelyProhibitedOrPortUnreachable() {
        try (RouterHarness h = seed()) {
            h.router.policy().set(List.of(rule(0, BR1, UPLINK, 6, 22, FilterRule.Action.REJECT_ADMIN_PROHIBITED),
                            rule(1, BR1, UPLINK, 6, 23, FilterRule.Action.REJECT_PORT_UNREACHABLE)),
                    List.of("tcp port 22 reject with admin-prohibited", "tcp port 23 reject with port-unreachable"),
                    FilterRule.Action.ACCEPT);
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 40030, 22, 0x02, new byte[0]));
            ByteBuf prohibited = h.sent(h.p1).get(0);
            assertEquals(Ipv4.PROTO_ICMP, Ipv4.protocol(prohibited, IP), "ICMP, not a reset, to TCP");
            assertEquals(Icmp4.TYPE_DEST_UNREACHABLE, prohibited.getUnsignedByte(L4));
            assertEquals(13, prohibited.getUnsignedByte(L4 + 1), "communication administratively prohibited");
            h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 40031, 23, 0x02, new byte[0]));
            ByteBuf unreachable = h.sent(h.p1).get(0);
            assertEquals(3, unreachable.getUnsignedByte(L4 + 1), "port unreachable, to TCP too");
            assertTrue(h.sent(h.uplink).isEmpty());
            assertEquals(2, h.gw1Port.counters().drops(DropReason.POLICY_REJECT));

            var br1 = h.router.interfaces().get(BR1);
            h.router.addAddress6(br1, Ipv6Cidr.parse("fd00:15::5/64"));
            h.router.addAddress6(h.router.interfaces().get(1), Ipv6Cidr.parse("fd00:16::5/64"));
            h.router.policy().set(List.of(rule(0, BR1, 1, 6, 22, FilterRule.Action.REJECT_ADMIN_PROHIBITED)),
                    List.of("tcp port 22 reject with admin-prohibited"), FilterRule.Action.ACCEPT);
            Ipv6Address red = Ipv6Address.parse("fd00:15::1");
            h.router.neighbors6().confirm(red.hi(), red.lo(), H1, br1.index(), h.clock.nanos(), true, (f, o) -> { });
            h.send(h.p1, Frames6.tcp(GW1, H1, red, Ipv6Address.parse("fd00:16::3"), 40032, 22, 0x02, new byte[0]));
            ByteBuf e = h.sent(h.p1).get(0);
            assertEquals(Icmp6.TYPE_DEST_UNREACHABLE, Icmp6.type(e, IP + Ipv6.HEADER_LEN));
            assertEquals(1, Icmp6.code(e, IP + Ipv6.HEADER_LEN), "ICMPv6 administratively prohibited");
        }
    }

    @Test
    void anIcmpErrorAboutAKnownConnectionIsItsWhileOneAboutNoneIsDecidedAsInvalid() {
        try (RouterHarness h = seed()) {
            h.router.policy().set(List.of(rule(0, BR1, UPLINK, FilterRule.ANY, -1, FilterRule.Action.ACCEPT)),
                    List.of("from br1 to uplink accept"), FilterRule.Action.DROP);
            h.send(h.p1, FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40020, 9999, new byte[8]));
            ByteBuf leaving = h.sent(h.uplink).get(0);
            h.send(h.uplink, FrameBuilder.icmpError(GW_UPLINK, LAN, LAN_IP, UP_IP, Icmp4.TYPE_DEST_UNREACHABLE, 3,
                    leaving));
            assertEquals(1, h.sent(h.p1).size(), "the error about red's connection (related) reaches red");
            ByteBuf unknown = FrameBuilder.udp(GW_UPLINK, GW1, UP_IP, LAN_IP, 1234, 9999, new byte[8]);
            h.send(h.uplink, FrameBuilder.icmpError(GW_UPLINK, LAN, LAN_IP, H1_IP, Icmp4.TYPE_DEST_UNREACHABLE, 3,
                    unknown));
            unknown.release();
            assertTrue(h.sent(h.p1).isEmpty(), "an error about no known connection is invalid: the default drops it");
            assertEquals(1, h.uplink.counters().drops(DropReason.POLICY_DROP));

            h.router.policy().set(List.of(new FilterRule(0, UPLINK, FilterRule.ANY, null, null, 1, 3, 3,
                    FilterRule.INVALID, FilterRule.ANY, FilterRule.Action.ACCEPT)),
                    List.of("from uplink icmp type 3 state invalid accept"), FilterRule.Action.DROP);
            ByteBuf again = FrameBuilder.udp(GW_UPLINK, GW1, UP_IP, LAN_IP, 1234, 9999, new byte[8]);
            h.send(h.uplink, FrameBuilder.icmpError(GW_UPLINK, LAN, LAN_IP, H1_IP, Icmp4.TYPE_DEST_UNREACHABLE, 3,
                    again));
            again.release();
            assertEquals(1, h.sent(h.p1).size(), "a rule for state invalid lets it through");
            assertEquals(1, h.router.policy().packets(0));
        }
    }

    @Test
    void ipv6IsDecidedByTheSameRulesAndRejectedWithIcmpv6() {
        try (RouterHarness h = new RouterHarness()) {
            var br1 = h.router.interfaces().get(0);
            var br2 = h.router.interfaces().get(1);
            h.router.addAddress6(br1, Ipv6Cidr.parse("fd00:15::5/64"));
            h.router.addAddress6(br2, Ipv6Cidr.parse("fd00:16::5/64"));
            Ipv6Address red = Ipv6Address.parse("fd00:15::1");
            h.router.neighbors6().confirm(red.hi(), red.lo(), H1, br1.index(), h.clock.nanos(), true, (f, o) -> { });
            h.router.policy().set(List.of(new FilterRule(0, FilterRule.ANY, FilterRule.ANY, null,
                            Ipv6Cidr.parse("fd00:16::/64"), FilterRule.ANY, 0, 65535, 0, FilterRule.ANY,
                            FilterRule.Action.REJECT),
                    new FilterRule(1, FilterRule.ANY, FilterRule.ANY, null, new Ipv4Cidr(0, 0), FilterRule.ANY,
                            0, 65535, 0, FilterRule.ANY, FilterRule.Action.ACCEPT)),
                    List.of("to fd00:16::/64 reject", "ipv4 accept"), FilterRule.Action.ACCEPT);
            h.send(h.p1, Frames6.udp(GW1, H1, red, Ipv6Address.parse("fd00:16::3"), 4000, 53, new byte[8]));
            ByteBuf e = h.sent(h.p1).get(0);
            assertEquals(Icmp6.TYPE_DEST_UNREACHABLE, Icmp6.type(e, IP + Ipv6.HEADER_LEN));
            assertEquals(4, Icmp6.code(e, IP + Ipv6.HEADER_LEN), "port unreachable");
            assertTrue(h.sent(h.p3).isEmpty());
            assertEquals(1, h.router.policy().packets(0));
        }
    }

    @Test
    void aLoggedRuleLogsAtMostALineASecondAndCountsWhatItLeftOut() {
        Policy p = new Policy();
        p.set(List.of(rule(0, FilterRule.ANY, FilterRule.ANY, 6, 22, FilterRule.Action.DROP),
                rule(1, FilterRule.ANY, FilterRule.ANY, 17, -1, FilterRule.Action.DROP)),
                List.of("tcp port 22 drop log", "udp drop"), FilterRule.Action.ACCEPT, new boolean[] {true, false});
        long s = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
        assertTrue(p.mayLog(0, 0), "the first decision is logged");
        for (int i = 1; i <= 5; i++) {
            assertTrue(!p.mayLog(0, i * s / 10), "then nothing within the second");
        }
        assertTrue(p.mayLog(0, s), "a second later, a line again");
        assertEquals(5, p.leftOut(0), "counting the five left out");
        assertTrue(!p.mayLog(1, 0), "a rule that does not log never does");
        assertTrue(!p.mayLog(Policy.DEFAULT, 0), "nor the default");
    }
}
