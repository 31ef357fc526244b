package dev.vnet.dataplane.nat;

import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.FlowKey;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** NAT as pure decisions over tuples: the seed lab's MASQUERADE and port forward, hairpin, ports, exhaustion. */
class NatDecisionTest {
    private static final int BRIDGE = 0;
    private static final int UPLINK = 1;
    private static final int RED = parse("192.168.15.1");
    private static final int BLUE = parse("192.168.15.2");
    private static final int GW = parse("192.168.15.5");
    private static final int UP = parse("192.168.1.2");
    private static final int LAN = parse("192.168.1.3");

    private static NatRules seedRules() {
        NatRules r = new NatRules();
        r.add(new NatRules.Masquerade(parse("192.168.15.0"), 24, UPLINK));
        r.add(new NatRules.PortForward(6, UP, 80, 80, BLUE, 80));
        return r;
    }

    private final ConnTable table = new ConnTable(1024);
    private final NatPlanner planner = new NatPlanner(seedRules(), new PortAllocator(new SplittableRandom(1)));
    /** The last plan made through {@link #plan}, decoded for the connection it was made for. */
    private Plan last;

    /** A plan and what it was for, read as the NAT stage reads it. */
    private record Plan(long plan, int protocol, int dst, int dstPort) {
        boolean sourceNat() {
            return NatPlanner.sourceNat(plan);
        }

        int natSource() {
            return NatPlanner.natSource(plan);
        }

        int natPort() {
            return NatPlanner.natPort(plan);
        }

        long replyHi() {
            return NatPlanner.replyHi(plan, dst);
        }

        long replyLo() {
            return NatPlanner.replyLo(plan, protocol, dstPort);
        }
    }

    /** Plans with {@code p} and keeps the plan in {@link #last}; returns it (negative: it failed). */
    private long plan(NatPlanner p, ConnTable t, long now, int protocol, int src, int srcPort, int dst, int dstPort,
                      boolean forwarded, int in, int out, int outAddress) {
        long plan = p.plan(t, now, protocol, src, srcPort, dst, dstPort, forwarded, in, out, outAddress);
        last = new Plan(plan, protocol, dst, dstPort);
        return plan;
    }

    private void commit(int protocol, int src, int sport, int dst, int dport) {
        long oHi = FlowKey.hi(src, dst);
        long oLo = protocol == 1 ? FlowKey.lo(1, sport, 0) : FlowKey.lo(protocol, sport, dport);
        assertTrue(table.create(oHi, oLo, last.replyHi(), last.replyLo(), 0, 1_000_000_000L, 0) >= 0);
    }

    @Test
    void masqueradeKeepsTheSourcePortWhenTheTupleIsFree() {
        assertTrue(plan(planner, table, 0, 6, BLUE, 40000, LAN, 8080, false, BRIDGE, UPLINK, UP) >= 0, "planned");
        assertTrue(last.sourceNat());
        assertEquals(UP, last.natSource());
        assertEquals(40000, last.natPort());
        assertEquals(FlowKey.hi(LAN, UP), last.replyHi());
        assertEquals(FlowKey.lo(6, 8080, 40000), last.replyLo());
    }

    @Test
    void trafficThatStaysInsideIsNotMasqueraded() {
        plan(planner, table, 0, 6, RED, 40000, BLUE, 8080, false, BRIDGE, BRIDGE, GW);
        assertFalse(last.sourceNat());
        assertEquals(FlowKey.hi(BLUE, RED), last.replyHi());
        assertEquals(FlowKey.lo(6, 8080, 40000), last.replyLo());
    }

    @Test
    void twoHostsWithTheSameSourcePortToTheSameServerGetDistinctTuples() {
        plan(planner, table, 0, 6, RED, 40000, LAN, 80, false, BRIDGE, UPLINK, UP);
        commit(6, RED, 40000, LAN, 80);
        assertEquals(40000, last.natPort());
        plan(planner, table, 0, 6, BLUE, 40000, LAN, 80, false, BRIDGE, UPLINK, UP);
        int second = last.natPort();
        assertTrue(second != 40000 && second >= 1024 && second <= 65535, "another port of the same class: " + second);
        commit(6, BLUE, 40000, LAN, 80);
        // To another destination port the original is free again: uniqueness is on the full tuple.
        plan(planner, table, 0, 6, BLUE, 40000, LAN, 81, false, BRIDGE, UPLINK, UP);
        assertEquals(40000, last.natPort());
    }

    @Test
    void portsStayInTheirClass() {
        for (int[] c : new int[][] {{100, 1, 511}, {700, 600, 1023}, {5000, 1024, 65535}}) {
            ConnTable t = new ConnTable(64);
            NatPlanner p = new NatPlanner(seedRules(), new PortAllocator(new SplittableRandom(c[0])));
            plan(p, t, 0, 17, RED, c[0], LAN, 53, false, BRIDGE, UPLINK, UP);
            t.create(FlowKey.hi(RED, LAN), FlowKey.lo(17, c[0], 53), last.replyHi(), last.replyLo(), 0, 1_000_000_000L, 0);
            plan(p, t, 0, 17, BLUE, c[0], LAN, 53, false, BRIDGE, UPLINK, UP);
            assertTrue(last.natPort() >= c[1] && last.natPort() <= c[2], c[0] + " -> " + last.natPort());
            assertTrue(last.natPort() != c[0]);
        }
    }

    @Test
    void exhaustionIsReportedNotThrown() {
        // Class 1-511 to one server port: at most 511 connections (distinct inside host and port pairs) fit. The
        // search is bounded (240 ports, as netfilter's), so the class is reported exhausted when it is nearly full.
        ConnTable t = new ConnTable(2048);
        NatPlanner p = new NatPlanner(seedRules(), new PortAllocator(new SplittableRandom(2)));
        Set<Integer> used = new HashSet<>();
        int n = 1;
        for (; n <= 600; n++) {
            int host = parse("192.168.15.0") | (n % 250 + 1);
            int sport = 100 + n / 250;
            if (plan(p, t, 0, 6, host, sport, LAN, 80, false, BRIDGE, UPLINK, UP) == NatPlanner.EXHAUSTED) {
                break;
            }
            assertTrue(used.add(last.natPort()), "unique");
            assertTrue(last.natPort() >= 1 && last.natPort() <= 511, "in the class");
            assertTrue(t.create(FlowKey.hi(host, LAN), FlowKey.lo(6, sport, 80), last.replyHi(), last.replyLo(), 0,
                    1_000_000_000L, 0) >= 0);
        }
        assertTrue(n > 450 && n <= 512, "exhausted only when (nearly) every port is taken: after " + (n - 1));
    }

    @Test
    void portForwardTranslatesDestinationAndKeepsTheClientsSource() {
        NatRules rules = seedRules();
        NatRules.PortForward f = rules.forwardFor(6, UP, 80);
        assertEquals(BLUE, f.target());
        assertEquals(80, f.translate(80));
        assertNull(rules.forwardFor(6, UP, 81));
        assertNull(rules.forwardFor(17, UP, 80));
        plan(planner, table, 0, 6, LAN, 50000, f.target(), f.translate(80), true, UPLINK, BRIDGE, GW);
        assertFalse(last.sourceNat(), "the server sees the client's real address");
        assertEquals(FlowKey.hi(BLUE, LAN), last.replyHi());
        assertEquals(FlowKey.lo(6, 80, 50000), last.replyLo());
    }

    @Test
    void portRangesTranslateOffsetForOffset() {
        NatRules.PortForward f = new NatRules.PortForward(17, UP, 8000, 8009, BLUE, 9000);
        assertEquals(9000, f.translate(8000));
        assertEquals(9009, f.translate(8009));
        assertEquals("udp 192.168.1.2:8000-8009 -> 192.168.15.2:9000-9009", NatRules.describe(f));
        NatRules rules = new NatRules();
        rules.add(f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> rules.add(new NatRules.PortForward(17, UP, 8005, 8005, RED, 1)));
        assertEquals("port forward udp 192.168.1.2:8005 -> 192.168.15.1:1 overlaps udp 192.168.1.2:8000-8009 -> "
                + "192.168.15.2:9000-9009", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new NatRules.PortForward(6, UP, 80, 79, BLUE, 80));
        assertThrows(IllegalArgumentException.class, () -> new NatRules.PortForward(6, UP, 1, 10, BLUE, 65530));
    }

    @Test
    void hairpinRewritesTheSourceSoRepliesComeBackThroughTheRouter() {
        // red connects to the uplink address's forwarded port: DNAT to blue, which is on red's own bridge.
        NatRules.PortForward f = seedRules().forwardFor(6, UP, 80);
        plan(planner, table, 0, 6, RED, 41000, f.target(), 80, true, BRIDGE, BRIDGE, GW);
        assertTrue(last.sourceNat());
        assertEquals(GW, last.natSource(), "blue sees the gateway, so it answers through vnet");
        assertEquals(FlowKey.hi(BLUE, GW), last.replyHi());
        assertEquals(FlowKey.lo(6, 80, 41000), last.replyLo());
    }

    @Test
    void icmpEchoIsTranslatedByIdentifier() {
        plan(planner, table, 0, 1, RED, 0x1234, LAN, 0, false, BRIDGE, UPLINK, UP);
        commit(1, RED, 0x1234, LAN, 0);
        assertEquals(FlowKey.lo(1, 0, 0x1234), last.replyLo(), "the reply (0, id) inverts the request (id, 0)");
        plan(planner, table, 0, 1, BLUE, 0x1234, LAN, 0, false, BRIDGE, UPLINK, UP);
        assertTrue(last.natPort() != 0x1234, "a second pinger with the same id gets another identifier");
    }
}
