package dev.vnet.dataplane.l2;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.testing.BridgeHarness;
import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class BridgeTest {
    private static final long A = MacAddr.parse("02:00:00:00:00:0a");
    private static final long B = MacAddr.parse("02:00:00:00:00:0b");
    private static final long C = MacAddr.parse("02:00:00:00:00:0c");
    private static final long AGING = TimeUnit.SECONDS.toNanos(300);

    private static ByteBuf frame(long dst, long src) {
        return FrameBuilder.ethernet(dst, src, Ethernet.TYPE_IPV4, new byte[46]);
    }

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    @Test
    void unknownUnicastFloodsThenLearnedTrafficGoesToOnePort() {
        try (BridgeHarness h = new BridgeHarness(3, 64, AGING)) {
            h.inject(1, frame(B, A));
            assertArrayEquals(new int[] {0, 1, 1}, h.sentCounts(), "unknown B: flooded, not back to p1");
            h.inject(2, frame(A, B));
            assertArrayEquals(new int[] {1, 0, 0}, h.sentCounts(), "A was learned on p1");
            h.inject(1, frame(B, A));
            assertArrayEquals(new int[] {0, 1, 0}, h.sentCounts(), "B was learned on p2");
            h.assertCountersAddUp();
        }
    }

    @Test
    void forwardedFrameIsTheSameBytes() {
        try (BridgeHarness h = new BridgeHarness(2, 64, AGING)) {
            ByteBuf in = FrameBuilder.udp(B, A, 1, 2, 3, 4, "payload".getBytes());
            String expected = ByteBufUtil.hexDump(in);
            h.inject(1, in);
            List<ByteBuf> out = h.sent(2);
            assertEquals(1, out.size());
            assertEquals(expected, ByteBufUtil.hexDump(out.get(0)));
            assertSame(in, out.get(0), "zero copy: the buffer read is the buffer written");
        }
    }

    @Test
    void broadcastAndMulticastFloodToAllOthersSharingOneBuffer() {
        try (BridgeHarness h = new BridgeHarness(4, 64, AGING)) {
            h.inject(2, frame(MacAddr.BROADCAST, A));
            List<ByteBuf> p1 = h.sent(1);
            List<ByteBuf> p3 = h.sent(3);
            List<ByteBuf> p4 = h.sent(4);
            assertEquals(0, h.sent(2).size(), "never back out of the ingress port");
            assertEquals(1, p1.size());
            assertSame(p1.get(0), p3.get(0));
            assertSame(p1.get(0), p4.get(0));
            assertEquals(3, p1.get(0).refCnt(), "one reference per egress port");
            h.inject(1, frame(MacAddr.parse("01:00:5e:00:00:fb"), B));
            assertArrayEquals(new int[] {0, 1, 1, 1}, h.sentCounts());
        }
    }

    @Test
    void destinationOnTheIngressPortIsNotReflected() {
        try (BridgeHarness h = new BridgeHarness(2, 64, AGING)) {
            h.inject(1, frame(C, A));
            h.sentCounts();
            h.inject(1, frame(A, C)); // A and C both live behind p1
            assertArrayEquals(new int[] {0, 0}, h.sentCounts());
            assertEquals(1, h.port(1).counters().drops(DropReason.SAME_PORT));
            h.assertCountersAddUp();
        }
    }

    @Test
    void invalidSourcesAndRuntsAreDroppedWithTheirReason() {
        try (BridgeHarness h = new BridgeHarness(2, 64, AGING)) {
            h.inject(1, frame(B, MacAddr.parse("01:00:5e:00:00:01")));
            h.inject(1, frame(B, MacAddr.BROADCAST));
            h.inject(1, frame(B, 0));
            h.inject(1, FrameBuilder.hex("ffffffffffff02000000"));
            assertArrayEquals(new int[] {0, 0}, h.sentCounts());
            assertEquals(2, h.port(1).counters().drops(DropReason.SRC_MAC_MULTICAST));
            assertEquals(1, h.port(1).counters().drops(DropReason.SRC_MAC_ZERO));
            assertEquals(1, h.port(1).counters().drops(DropReason.RUNT));
            assertEquals(0, h.bridge.table().size(), "nothing learned from invalid sources");
            h.assertCountersAddUp();
        }
    }

    @Test
    void stationMoveRedirectsTraffic() {
        try (BridgeHarness h = new BridgeHarness(3, 64, AGING)) {
            h.inject(1, frame(MacAddr.BROADCAST, A));
            h.inject(2, frame(A, B));
            assertArrayEquals(new int[] {1, 1, 1}, h.sentCounts()); // broadcast to p2,p3, then B->A to p1
            h.inject(3, frame(MacAddr.BROADCAST, A)); // A moved behind p3
            h.sentCounts();
            h.inject(2, frame(A, B));
            assertArrayEquals(new int[] {0, 0, 1}, h.sentCounts());
            assertEquals(1, h.bridge.table().moves());
        }
    }

    @Test
    void agedEntriesMakeTrafficFloodAgain() {
        try (BridgeHarness h = new BridgeHarness(3, 64, AGING)) {
            h.inject(1, frame(MacAddr.BROADCAST, A));
            h.sentCounts();
            h.inject(2, frame(A, B));
            assertArrayEquals(new int[] {1, 0, 0}, h.sentCounts());
            h.clock.advance(301, TimeUnit.SECONDS);
            h.inject(2, frame(A, B));
            assertArrayEquals(new int[] {1, 0, 1}, h.sentCounts(), "A forgotten: flooded");
        }
    }

    @Test
    void fullTableStillForwardsByFlooding() {
        try (BridgeHarness h = new BridgeHarness(3, 2, AGING)) {
            h.inject(1, frame(MacAddr.BROADCAST, A));
            h.inject(2, frame(MacAddr.BROADCAST, B));
            h.inject(3, frame(MacAddr.BROADCAST, C)); // table full: C not learned
            h.sentCounts();
            assertEquals(2, h.bridge.table().size());
            assertEquals(1, h.bridge.table().limitHits());
            h.inject(1, frame(C, A));
            assertArrayEquals(new int[] {0, 1, 1}, h.sentCounts(), "unknown C is flooded, so it is still reached");
        }
    }

    @Test
    void floodWithNoOtherPortIsCountedAsADrop() {
        try (BridgeHarness h = new BridgeHarness(1, 64, AGING)) {
            h.inject(1, frame(MacAddr.BROADCAST, A));
            assertEquals(1, h.port(1).counters().drops(DropReason.NO_OTHER_PORT));
            h.assertCountersAddUp();
        }
    }

    @Test
    void detachedPortIsForgottenAndNoLongerFloodedTo() {
        try (BridgeHarness h = new BridgeHarness(3, 64, AGING)) {
            h.inject(3, frame(MacAddr.BROADCAST, C));
            h.sentCounts();
            h.bridge.detach(h.port(3));
            assertEquals(0, h.bridge.table().size());
            h.inject(1, frame(C, A));
            assertArrayEquals(new int[] {0, 1, 0}, h.sentCounts());
        }
    }
}
