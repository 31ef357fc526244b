package dev.vnet.dataplane.conntrack;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static dev.vnet.dataplane.conntrack.TcpState.CLOSE;
import static dev.vnet.dataplane.conntrack.TcpState.CLOSE_WAIT;
import static dev.vnet.dataplane.conntrack.TcpState.ESTABLISHED;
import static dev.vnet.dataplane.conntrack.TcpState.FIN_WAIT;
import static dev.vnet.dataplane.conntrack.TcpState.LAST_ACK;
import static dev.vnet.dataplane.conntrack.TcpState.SYN_RECV;
import static dev.vnet.dataplane.conntrack.TcpState.SYN_SENT;
import static dev.vnet.dataplane.conntrack.TcpState.TIME_WAIT;
import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConntrackTest {
    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int ACK = 0x10;
    private static final long S = TimeUnit.SECONDS.toNanos(1);
    private static final int A = parse("192.168.15.1");
    private static final int B = parse("192.168.1.3");
    private static final int N = parse("192.168.1.2");

    @Test
    void bothTuplesFindTheConnection() {
        ConnTable t = new ConnTable(16);
        long oHi = FlowKey.hi(A, B);
        long oLo = FlowKey.lo(6, 40000, 80);
        long rHi = FlowKey.hi(B, N);
        long rLo = FlowKey.lo(6, 80, 61000);
        int id = t.create(oHi, oLo, rHi, rLo, 0, 10 * S, 0);
        assertEquals(Conn.handle(id, Conn.ORIGINAL), t.lookup(oHi, oLo, 0));
        assertEquals(Conn.handle(id, Conn.REPLY), t.lookup(rHi, rLo, 0));
        assertEquals(ConnTable.NONE, t.lookup(FlowKey.invertHi(oHi), FlowKey.invertLo(oLo), 0),
                "the untranslated inverse is not the reply once NAT changed it");
        assertEquals("tcp 192.168.15.1:40000 -> 192.168.1.3:80", FlowKey.toString(oHi, oLo));
    }

    @Test
    void connectionsExpireByTheClockAndAreRemoved() {
        ConnTable t = new ConnTable(16);
        long hi = FlowKey.hi(A, B);
        long lo = FlowKey.lo(17, 5000, 53);
        int id = t.create(hi, lo, FlowKey.invertHi(hi), FlowKey.invertLo(lo), 0, 30 * S, 0);
        assertTrue(t.lookup(hi, lo, 29 * S) >= 0);
        t.refresh(id, 29 * S, 120 * S);
        assertTrue(t.lookup(hi, lo, 148 * S) >= 0, "refreshed (UDP seen both ways: 120 s)");
        assertEquals(ConnTable.NONE, t.lookup(hi, lo, 149 * S));
        assertEquals(1, t.size(), "lookup takes no lock and removes nothing");
        assertTrue(t.create(hi, lo, FlowKey.invertHi(hi), FlowKey.invertLo(lo), 149 * S, 30 * S, 0) >= 0,
                "a new connection with the tuple of an expired one replaces it");
        assertEquals(1, t.size());
        assertEquals(1, t.expiredCount());
        assertEquals(ConnTable.CLASH, t.create(hi, lo, FlowKey.invertHi(hi), FlowKey.invertLo(lo), 150 * S, 30 * S,
                0), "a live connection holding the tuple is a clash");
        assertEquals(1, t.expire(179 * S));
        assertEquals(0, t.size());
    }

    @Test
    void theBoundHoldsAndExistingConnectionsKeepWorking() {
        ConnTable t = new ConnTable(3);
        for (int port = 1; port <= 3; port++) {
            long hi = FlowKey.hi(A, B);
            long lo = FlowKey.lo(6, port, 80);
            int id = t.create(hi, lo, FlowKey.invertHi(hi), FlowKey.invertLo(lo), 0, 10 * S, 0);
            assertTrue(id >= 0);
            t.addFlags(id, Conn.ASSURED); // not given up for a new one
        }
        assertEquals(ConnTable.NONE, t.create(FlowKey.hi(A, B), FlowKey.lo(6, 4, 80), FlowKey.hi(B, A),
                FlowKey.lo(6, 80, 4), 0, 10 * S, 0));
        assertEquals(1, t.fullDrops());
        assertTrue(t.lookup(FlowKey.hi(A, B), FlowKey.lo(6, 2, 80), 0) >= 0, "existing ones still found");
        assertEquals(3, t.size());
    }

    @Test
    void aFullTableGivesUpAConnectionNotAssuredForANewOne() {
        ConnTable t = new ConnTable(3);
        int[] ids = new int[3];
        for (int port = 1; port <= 3; port++) {
            long hi = FlowKey.hi(A, B);
            long lo = FlowKey.lo(6, port, 80);
            ids[port - 1] = t.create(hi, lo, FlowKey.invertHi(hi), FlowKey.invertLo(lo), 0, 10 * S, 0);
        }
        t.addFlags(ids[0], Conn.ASSURED);
        t.addFlags(ids[2], Conn.ASSURED);
        assertTrue(t.create(FlowKey.hi(A, B), FlowKey.lo(6, 4, 80), FlowKey.hi(B, A), FlowKey.lo(6, 80, 4), 0, 10 * S,
                0) >= 0, "the half-open one made room");
        assertEquals(1, t.earlyDrops());
        assertEquals(0, t.fullDrops());
        assertEquals(ConnTable.NONE, t.lookup(FlowKey.hi(A, B), FlowKey.lo(6, 2, 80), 0), "the one not assured went");
        assertTrue(t.lookup(FlowKey.hi(A, B), FlowKey.lo(6, 1, 80), 0) >= 0, "assured ones stay");
        assertTrue(t.lookup(FlowKey.hi(A, B), FlowKey.lo(6, 3, 80), 0) >= 0, "assured ones stay");
        assertEquals(3, t.size());
    }

    @Test
    void churnKeepsTheIndexConsistent() {
        ConnTable t = new ConnTable(512);
        java.util.SplittableRandom rng = new java.util.SplittableRandom(8);
        java.util.Map<Long, Integer> model = new java.util.HashMap<>();
        for (int step = 0; step < 50_000; step++) {
            int port = rng.nextInt(2000);
            long hi = FlowKey.hi(A, B);
            long lo = FlowKey.lo(6, port, 80);
            Integer id = model.get(lo);
            if (id == null) {
                int created = t.create(hi, lo, FlowKey.hi(B, N), FlowKey.lo(6, 80, port + 10_000), 0, 100 * S, 0);
                if (created >= 0) {
                    t.addFlags(created, Conn.ASSURED); // never given up for a new one
                    model.put(lo, created);
                } else {
                    assertEquals(512, model.size(), "refused only when full");
                }
            } else if (rng.nextBoolean()) {
                t.remove(id);
                model.remove(lo);
            } else {
                assertEquals(Conn.handle(id, Conn.REPLY), t.lookup(FlowKey.hi(B, N), FlowKey.lo(6, 80, port + 10_000), 0));
            }
            assertEquals(model.size(), t.size());
        }
    }

    @Test
    void tcpStateMachineFollowsAConnectionFromSynToTimeWait() {
        TcpState s = TcpState.initial(SYN);
        assertEquals(SYN_SENT, s);
        s = s.next(SYN | ACK, false, true);
        assertEquals(SYN_RECV, s);
        s = s.next(ACK, true, true);
        assertEquals(ESTABLISHED, s);
        s = s.next(ACK, false, true);
        assertEquals(ESTABLISHED, s, "data keeps it established");
        s = s.next(FIN | ACK, true, true); // originator closes first
        assertEquals(FIN_WAIT, s);
        s = s.next(ACK, false, true);
        assertEquals(CLOSE_WAIT, s);
        s = s.next(FIN | ACK, false, true);
        assertEquals(LAST_ACK, s);
        s = s.next(ACK, true, true);
        assertEquals(TIME_WAIT, s);
        assertEquals(SYN_SENT, s.next(SYN, true, true), "a new SYN reopens the tuple");
    }

    @Test
    void tcpResetsMidStreamPickupAndTimeouts() {
        assertEquals(CLOSE, ESTABLISHED.next(RST, false, true));
        assertEquals(ESTABLISHED, TcpState.initial(ACK), "picked up mid-stream, as the kernel's tcp_loose");
        assertEquals(LAST_ACK, FIN_WAIT.next(FIN | ACK, false, true), "both FINs at once");
        assertEquals(TimeUnit.SECONDS.toNanos(432_000), ESTABLISHED.timeoutNanos());
        assertEquals(TimeUnit.SECONDS.toNanos(120), SYN_SENT.timeoutNanos());
        assertEquals(TimeUnit.SECONDS.toNanos(60), SYN_RECV.timeoutNanos());
        assertEquals(TimeUnit.SECONDS.toNanos(120), FIN_WAIT.timeoutNanos());
        assertEquals(TimeUnit.SECONDS.toNanos(60), CLOSE_WAIT.timeoutNanos());
        assertEquals(TimeUnit.SECONDS.toNanos(30), LAST_ACK.timeoutNanos());
        assertEquals(TimeUnit.SECONDS.toNanos(120), TIME_WAIT.timeoutNanos());
        assertEquals(TimeUnit.SECONDS.toNanos(10), CLOSE.timeoutNanos());
    }
}
