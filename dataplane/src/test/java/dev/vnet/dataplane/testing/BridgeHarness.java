package dev.vnet.dataplane.testing;

import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.pipeline.Pipeline;
import dev.vnet.dataplane.port.MemoryPort;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A bridge with in-memory ports and a pipeline on a manual clock, driven from the test thread: inject a frame on one
 * port, see what every port sent. {@link #close} releases whatever the test did not take and checks refCnt.
 */
public final class BridgeHarness implements AutoCloseable {
    /** The manual clock the pipeline reads. */
    public final ManualClock clock = new ManualClock();
    /** The pipeline. */
    public final Pipeline pipeline = new Pipeline(clock, new dev.vnet.dataplane.pipeline.Attachments());
    /** The bridge under test. */
    public final Bridge bridge;
    private final List<MemoryPort> ports = new ArrayList<>();
    private final List<ByteBuf> taken = new ArrayList<>();

    /** A bridge with {@code portCount} ports named p1..pN. */
    public BridgeHarness(int portCount, int maxEntries, long agingNanos) {
        bridge = new Bridge("br-test", maxEntries, agingNanos, pipeline.attachments());
        for (int i = 1; i <= portCount; i++) {
            MemoryPort p = new MemoryPort(i, "p" + i, pipeline);
            ports.add(p);
            bridge.attach(p);
        }
    }

    /** Port {@code n} (1-based). */
    public MemoryPort port(int n) {
        return ports.get(n - 1);
    }

    /** Injects {@code frame} on port {@code n}, as a batch of one. */
    public void inject(int n, ByteBuf frame) {
        port(n).inject(frame);
    }

    /** Takes what port {@code n} sent (the harness releases it at close). */
    public List<ByteBuf> sent(int n) {
        List<ByteBuf> out = port(n).drain();
        taken.addAll(out);
        return out;
    }

    /** Number of frames each port sent since the last call, ports 1..N; taken frames are kept for release. */
    public int[] sentCounts() {
        int[] counts = new int[ports.size()];
        for (int i = 0; i < ports.size(); i++) {
            counts[i] = sent(i + 1).size();
        }
        return counts;
    }

    /** Pipeline accounting must balance: every frame received was forwarded, flooded, dropped or consumed. */
    public void assertCountersAddUp() {
        assertEquals(pipeline.received(),
                pipeline.forwarded() + pipeline.flooded() + pipeline.dropped() + pipeline.consumed(),
                "frames in = forwarded + flooded + dropped + consumed");
    }

    @Override
    public void close() {
        for (int i = 1; i <= ports.size(); i++) {
            sent(i);
        }
        for (ByteBuf b : taken) {
            b.release();
        }
        for (ByteBuf b : taken) {
            assertEquals(0, b.refCnt(), "every frame buffer is released exactly once");
        }
        for (MemoryPort p : ports) {
            p.close();
        }
    }
}
