package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NeighborTableTest {
    private static final long S = TimeUnit.SECONDS.toNanos(1);
    private static final int IP = parse("192.168.15.2");
    private static final long MAC = 0x02_00_00_00_00_02L;

    /** Records what the table asked for. */
    private static final class Recorder implements NeighborTable.Actions {
        final List<Integer> requests = new ArrayList<>();
        final List<ByteBuf> unresolved = new ArrayList<>();

        @Override
        public void sendRequest(int iface, long hi, long lo) {
            assertEquals(0, hi, "an IPv4 neighbour's key");
            requests.add((int) lo);
        }

        @Override
        public void unresolved(int iface, long hi, long lo, ByteBuf frame) {
            unresolved.add(frame);
        }
    }

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    private static ByteBuf frame() {
        return FrameBuilder.of(new byte[60]);
    }

    @Test
    void queuesUntilTheReplyThenReleasesInOrder() {
        NeighborTable t = new NeighborTable(16);
        ByteBuf a = frame();
        ByteBuf b = frame();
        assertEquals(NeighborTable.Enqueued.NEW, t.enqueue(IP, 1, a, 0));
        assertEquals(NeighborTable.Enqueued.QUEUED, t.enqueue(IP, 1, b, 0));
        assertEquals(NeighborTable.UNRESOLVED, t.macFor(IP, 0));
        assertEquals(NeighborTable.State.INCOMPLETE, t.stateOf(IP));
        List<ByteBuf> released = new ArrayList<>();
        assertTrue(t.confirm(IP, MAC, 1, S / 2, false, (f, offload) -> released.add(f)));
        assertEquals(List.of(a, b), released);
        assertEquals(MAC, t.macFor(IP, S / 2));
        assertEquals(NeighborTable.State.REACHABLE, t.stateOf(IP));
        released.forEach(ByteBuf::release);
    }

    @Test
    void retriesThenFailsAndHandsBackTheQueuedFrames() {
        NeighborTable t = new NeighborTable(16);
        Recorder r = new Recorder();
        ByteBuf f = frame();
        t.enqueue(IP, 1, f, 0); // the caller sent request 1
        t.tick(S / 2, r);
        assertEquals(List.of(), r.requests, "not yet due");
        t.tick(S, r);
        t.tick(2 * S, r);
        assertEquals(List.of(IP, IP), r.requests, "requests 2 and 3, a second apart");
        assertEquals(List.of(), r.unresolved);
        t.tick(3 * S, r);
        assertEquals(1, r.unresolved.size(), "given up after three unanswered requests");
        assertSame(f, r.unresolved.get(0));
        assertNull(t.stateOf(IP));
        assertEquals(1, t.failed());
        f.release();
    }

    @Test
    void queueAndTableBoundsHold() {
        NeighborTable t = new NeighborTable(1);
        List<ByteBuf> queued = new ArrayList<>();
        for (int i = 0; i < NeighborTable.QUEUE_PER_NEIGHBOR; i++) {
            ByteBuf f = frame();
            queued.add(f);
            t.enqueue(IP, 1, f, 0);
        }
        ByteBuf extra = frame();
        assertEquals(NeighborTable.Enqueued.QUEUE_FULL, t.enqueue(IP, 1, extra, 0));
        assertEquals(NeighborTable.Enqueued.TABLE_FULL, t.enqueue(IP + 1, 1, extra, 0));
        extra.release();
        assertEquals(1, t.queueDrops());
        assertEquals(1, t.tableFull());
        t.clear();
        for (ByteBuf f : queued) {
            assertEquals(0, f.refCnt(), "clear releases queued frames");
        }
    }

    @Test
    void requestsToUsCreateEntriesButOtherTrafficOnlyUpdates() {
        NeighborTable t = new NeighborTable(16);
        assertTrue(!t.confirm(IP, MAC, 1, 0, false, (f, o) -> { }), "gratuitous ARP from a stranger: not created");
        assertNull(t.stateOf(IP));
        assertTrue(t.confirm(IP, MAC, 1, 0, true, (f, o) -> { }), "a request addressed to us: created");
        assertTrue(t.confirm(IP, MAC + 1, 1, S, false, (f, o) -> { }), "gratuitous ARP updates a known neighbor");
        assertEquals(MAC + 1, t.macFor(IP, S));
    }

    @Test
    void reachableBecomesStaleIsReprobedWhenUsedAndDroppedIfSilent() {
        NeighborTable t = new NeighborTable(16);
        Recorder r = new Recorder();
        t.confirm(IP, MAC, 1, 0, true, (f, o) -> { });
        t.tick(29 * S, r);
        assertEquals(NeighborTable.State.REACHABLE, t.stateOf(IP));
        t.tick(30 * S, r);
        assertEquals(NeighborTable.State.STALE, t.stateOf(IP));
        assertEquals(MAC, t.macFor(IP, 31 * S), "stale is still used");
        t.tick(31 * S, r);
        t.tick(32 * S, r);
        t.tick(33 * S, r);
        assertEquals(3, r.requests.size(), "three probes");
        t.tick(34 * S, r);
        assertNull(t.stateOf(IP), "no answer: removed");
        assertEquals(List.of(), r.unresolved, "nothing was queued");
    }

    @Test
    void aStaleProbeAnsweredMakesItReachableAgain() {
        NeighborTable t = new NeighborTable(16);
        Recorder r = new Recorder();
        t.confirm(IP, MAC, 1, 0, true, (f, o) -> { });
        t.macFor(IP, 40 * S);
        t.tick(40 * S, r);
        assertEquals(1, r.requests.size());
        t.confirm(IP, MAC, 1, 40 * S + 1, false, (f, o) -> { });
        assertEquals(NeighborTable.State.REACHABLE, t.stateOf(IP));
        t.tick(45 * S, r);
        assertEquals(1, r.requests.size(), "no more probes");
    }

    @Test
    void unusedStaleEntriesAreCollected() {
        NeighborTable t = new NeighborTable(16);
        Recorder r = new Recorder();
        t.confirm(IP, MAC, 1, 0, true, (f, o) -> { });
        t.tick(30 * S, r);
        assertEquals(NeighborTable.State.STALE, t.stateOf(IP));
        t.tick(59 * S, r);
        assertEquals(NeighborTable.State.STALE, t.stateOf(IP));
        t.tick(60 * S, r);
        assertNull(t.stateOf(IP));
        assertEquals(List.of(), r.requests, "an unused stale entry is not probed");
    }
}
