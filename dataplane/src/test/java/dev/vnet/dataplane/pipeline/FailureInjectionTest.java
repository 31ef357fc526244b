package dev.vnet.dataplane.pipeline;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.DevicePort;
import dev.vnet.dataplane.port.MemoryPort;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.testing.ManualClock;
import dev.vnet.dataplane.trace.Capture;
import dev.vnet.dataplane.trace.CaptureFilter;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Offload;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Failures injected at each point of the per-frame path outside a stage (a capture, a port's enqueue and flush, a
 * buffer allocation for software offload), under paranoid leak detection: the frame (or one port's copy of it) is
 * dropped and counted as internal-error, nothing leaks, and the next frame goes through at once. An {@code Error}
 * is not swallowed: it reaches the loop failure handler.
 */
class FailureInjectionTest {
    private static final long MAC_A = 0x02_00_00_00_00_0AL;
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static final int IP_A = 0xC6336401; // 198.51.100.1
    private static final int IP_B = 0xC6336402; // 198.51.100.2

    private final List<ByteBuf> taken = new ArrayList<>();

    @AfterEach
    void releaseAndCheckLeaks() {
        taken.forEach(ByteBuf::release);
        LeakCheck.assertNoLeaks();
    }

    private List<ByteBuf> sent(MemoryPort p) {
        List<ByteBuf> out = p.drain();
        taken.addAll(out);
        return out;
    }

    private List<ByteBuf> sent(FaultyPort p) {
        List<ByteBuf> out = p.drain();
        taken.addAll(out);
        return out;
    }

    private static ByteBuf frame() {
        return FrameBuilder.udp(MAC_B, MAC_A, IP_A, IP_B, 4000, 5000, new byte[64]);
    }

    /** A port that throws when sent to (taking nothing) while {@code failEnqueue}, or flushed while {@code failFlush}. */
    private static final class FaultyPort extends DevicePort {
        volatile boolean failEnqueue;
        volatile boolean failFlush;
        private final List<ByteBuf> queued = new ArrayList<>();
        private final List<ByteBuf> sent = new ArrayList<>();

        FaultyPort(int id, String name) {
            super(id, name);
        }

        @Override
        public void enqueue(ByteBuf frame) {
            if (failEnqueue) {
                throw new IllegalStateException("injected: enqueue failed");
            }
            queued.add(frame);
        }

        @Override
        public void flush() {
            if (failFlush) {
                throw new IllegalStateException("injected: flush failed");
            }
            sent.addAll(queued);
            queued.clear();
        }

        List<ByteBuf> drain() {
            List<ByteBuf> out = new ArrayList<>(sent);
            sent.clear();
            return out;
        }

        @Override
        public void close() {
            queued.forEach(ByteBuf::release);
            queued.clear();
        }
    }

    /** An allocator that throws on the next {@code failures} direct allocations of the pipeline. */
    private static final class FaultyAllocator extends PooledByteBufAllocator {
        final AtomicInteger failures = new AtomicInteger();
        final AtomicInteger after = new AtomicInteger(); // allocations that succeed before the failures begin
        volatile boolean asError;

        FaultyAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            if (after.getAndDecrement() <= 0 && failures.getAndDecrement() > 0) {
                if (asError) {
                    throw new OutOfMemoryError("injected: direct memory exhausted");
                }
                throw new IllegalStateException("injected: allocation failed");
            }
            return super.newDirectBuffer(initialCapacity, maxCapacity);
        }
    }

    private static Stage floodTo(Port... ports) {
        return new Stage() {
            @Override
            public Stage process(Frame frame) {
                return frame.flood(ports);
            }
        };
    }

    @Test
    void aPortThatThrowsOnSendCostsOnlyItsCopyOfAFlood() {
        Pipeline p = new Pipeline(new ManualClock(), new Attachments());
        MemoryPort in = new MemoryPort(1, "in", p);
        FaultyPort bad = new FaultyPort(2, "bad");
        MemoryPort good = new MemoryPort(3, "good", p);
        p.attachments().setIngress(in, floodTo(in, bad, good));
        bad.failEnqueue = true;
        ByteBuf f = frame();
        in.inject(f);
        assertEquals(1, f.refCnt(), "the failed port's reference was given back; only the good port's is left");
        assertEquals(1, sent(good).size(), "the other port of the flood got the frame");
        assertEquals(1, bad.counters().drops(DropReason.INTERNAL_ERROR), "the failed copy is counted on its port");
        assertEquals(1, p.internalErrors());
        bad.failEnqueue = false;
        in.inject(frame());
        assertEquals(1, sent(good).size(), "the next frame floods as usual");
        assertEquals(1, sent(bad).size(), "to the port that had failed too");
    }

    @Test
    void aPortThatThrowsOnFlushDoesNotKeepTheOthersFromBeingFlushed() {
        Pipeline p = new Pipeline(new ManualClock(), new Attachments());
        MemoryPort in = new MemoryPort(1, "in", p);
        FaultyPort bad = new FaultyPort(2, "bad");
        MemoryPort good = new MemoryPort(3, "good", p);
        p.attachments().setIngress(in, floodTo(in, bad, good));
        bad.failFlush = true;
        in.inject(frame());
        assertEquals(1, sent(good).size(), "the other port was flushed");
        assertEquals(1, bad.counters().drops(DropReason.INTERNAL_ERROR));
        bad.failFlush = false;
        in.inject(frame());
        assertEquals(2, sent(bad).size(), "the port that threw flushes both frames next batch");
        assertEquals(1, sent(good).size());
    }

    @Test
    void aCaptureThatThrowsIsFailedAndTheFrameGoesOn() {
        Pipeline p = new Pipeline(new ManualClock(), new Attachments());
        MemoryPort in = new MemoryPort(1, "in", p);
        MemoryPort out = new MemoryPort(2, "out", p);
        p.attachments().setIngress(in, floodTo(in, out));
        AtomicInteger calls = new AtomicInteger();
        CaptureFilter throwing = (frame, length, wire) -> {
            calls.incrementAndGet();
            throw new IllegalStateException("injected: filter failed");
        };
        Capture broken = new Capture(1, Capture.IN | Capture.OUT, throwing, 16, 256);
        Capture fine = new Capture(2, Capture.IN | Capture.OUT, CaptureFilter.ALL, 16, 256);
        p.attachments().addCapture(in, broken);
        p.attachments().addCapture(in, fine);
        in.inject(frame());
        in.inject(frame());
        assertEquals(2, sent(out).size(), "both frames forwarded");
        assertNotNull(broken.failure(), "the throwing capture is failed");
        assertTrue(broken.failure().contains("injected: filter failed"), broken.failure());
        assertTrue(broken.stopped());
        assertEquals(1, calls.get(), "a failed capture is not offered frames again");
        assertNull(fine.failure());
        assertEquals(2, fine.captured(), "the other capture took both frames");
        assertEquals(0, in.counters().drops(DropReason.INTERNAL_ERROR), "a capture's failure costs no frame");
    }

    @Test
    void aFailedCopyForSoftwareChecksumCostsOnlyThatPortsCopy() {
        FaultyAllocator alloc = new FaultyAllocator();
        Pipeline p = new Pipeline(new ManualClock(), alloc, new Attachments());
        MemoryPort in = new MemoryPort(1, "in", p);
        MemoryPort plain = new MemoryPort(2, "plain", p); // no offloads: a copy with its checksum completed
        MemoryPort offloading = new MemoryPort(3, "offloading", p);
        offloading.acceptOffloads(true);
        p.attachments().setIngress(in, floodTo(in, plain, offloading));
        ByteBuf f = partialChecksumFrame();
        alloc.failures.set(1);
        in.inject(f, partialChecksumOffload());
        assertEquals(1, sent(offloading).size(), "the port that takes offloads got the frame");
        assertEquals(0, sent(plain).size());
        assertEquals(1, plain.counters().drops(DropReason.INTERNAL_ERROR));
        in.inject(partialChecksumFrame(), partialChecksumOffload());
        assertEquals(1, sent(plain).size(), "the next copy is made");
        assertEquals(1, sent(offloading).size());
    }

    @Test
    void aSegmentationThatFailsHalfWayKeepsWhatItSentAndLeaksNothing() {
        FaultyAllocator alloc = new FaultyAllocator();
        Pipeline p = new Pipeline(new ManualClock(), alloc, new Attachments());
        MemoryPort in = new MemoryPort(1, "in", p);
        MemoryPort out = new MemoryPort(2, "out", p);
        p.attachments().setIngress(in, new Stage() {
            @Override
            public Stage process(Frame frame) {
                return frame.forward(out);
            }
        });
        int mss = 1000;
        ByteBuf superFrame = FrameBuilder.tcp(MAC_B, MAC_A, IP_A, IP_B, 4000, 5000, 0x18, new byte[5 * mss]);
        long offload = Offload.of(Offload.NEEDS_CSUM, Offload.GSO_TCPV4, Ethernet.HEADER_LEN + 40, mss,
                Ethernet.HEADER_LEN + 20, 16);
        alloc.after.set(2);
        alloc.failures.set(1);
        in.inject(superFrame, offload);
        assertEquals(2, sent(out).size(), "the two segments cut before the failure were sent");
        assertEquals(1, out.counters().drops(DropReason.INTERNAL_ERROR));
        assertEquals(0, superFrame.refCnt(), "the super-frame was released");
    }

    @Test
    void anErrorIsNotSwallowedButReachesTheLoopFailureHandler() {
        FaultyAllocator alloc = new FaultyAllocator();
        Pipeline p = new Pipeline(new ManualClock(), alloc, new Attachments());
        AtomicReference<Throwable> reported = new AtomicReference<>();
        p.onLoopFailure(reported::set);
        MemoryPort in = new MemoryPort(1, "in", p);
        MemoryPort plain = new MemoryPort(2, "plain", p);
        MemoryPort other = new MemoryPort(3, "other", p);
        p.attachments().setIngress(in, floodTo(in, plain, other));
        alloc.asError = true;
        alloc.failures.set(1);
        ByteBuf f = partialChecksumFrame();
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> in.inject(f, partialChecksumOffload()),
                "an Error goes up to the loop");
        p.failed(in, e); // what the loop's owner (a TAP queue) does with it
        assertSame(e, reported.get(), "the loop failure handler was told");
        // Whatever the Error interrupted, the buffers still get back to the pool once the ports are drained.
        sent(plain);
        sent(other);
        while (f.refCnt() > 0) {
            f.release();
        }
    }

    @Test
    void aRuntimeExceptionReportedByTheLoopIsCountedNotFatal() {
        Pipeline p = new Pipeline(new ManualClock(), new Attachments());
        AtomicReference<Throwable> reported = new AtomicReference<>();
        p.onLoopFailure(reported::set);
        MemoryPort in = new MemoryPort(1, "in", p);
        p.failed(in, new IllegalStateException("injected: a read batch threw"));
        assertNull(reported.get(), "a RuntimeException does not end anything");
        assertEquals(1, in.counters().drops(DropReason.INTERNAL_ERROR));
    }

    /** A UDP frame whose checksum the sender left partial (the pseudo-header sum only), as a TAP hands it over. */
    private static ByteBuf partialChecksumFrame() {
        return FrameBuilder.udp(MAC_B, MAC_A, IP_A, IP_B, 4000, 5000, new byte[64]);
    }

    private static long partialChecksumOffload() {
        return Offload.of(Offload.NEEDS_CSUM, Offload.GSO_NONE, 0, 0, Ethernet.HEADER_LEN + 20, 6);
    }
}
