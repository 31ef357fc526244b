package dev.vnet.bench;

import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.pipeline.Attachments;
import dev.vnet.dataplane.pipeline.Pipeline;
import dev.vnet.dataplane.util.Clock;
import dev.vnet.dataplane.util.JvmOptions;
import dev.vnet.dataplane.util.NettyDefaults;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The bridge's whole per-frame path without I/O: pipeline entry, Ethernet check, source learning, destination lookup,
 * forwarding verdict, hand-off to the egress port and release. Frames are prebuilt (one pooled direct buffer per
 * station pair, held with many references so a use takes no {@code retain()} ({@link BenchFrames#HELD}); allocation
 * is not measured and must show 0 B/op) and cycle over
 * {@link #FRAMES} different source/destination pairs so the lookups are not one cached slot.
 * {@code tableSize} sets how many stations the table holds: lookups must stay flat from a few to the bound.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {NettyDefaults.LEAK_DETECTION_ARG, NettyDefaults.CHECK_ACCESSIBLE_ARG,
        JvmOptions.GC})
public class BridgeForwardBenchmark {
    /** Frames per read batch, as a TAP port reads them. */
    public static final int BATCH = 32;
    /** Distinct prebuilt frames cycled through. */
    public static final int FRAMES = 256;
    private static final int PORTS = 4;

    /** Stations learned in the table before measuring. */
    @Param({"16", "1024", "8192"})
    public int tableSize;

    private Pipeline pipeline;
    private CountingPort[] ports;
    private ByteBuf[] frames;
    private CountingPort[] ingress;
    private int next;

    /** Builds the bridge, fills its table, prebuilds frames between learned stations on different ports. */
    @Setup(Level.Trial)
    public void setUp() {
        Clock clock = () -> 1_000_000_000L;
        pipeline = new Pipeline(clock, new Attachments());
        Bridge bridge = new Bridge("br-bench", Math.max(tableSize, 16), TimeUnit.SECONDS.toNanos(300),
                pipeline.attachments());
        ports = new CountingPort[PORTS];
        for (int i = 0; i < PORTS; i++) {
            ports[i] = new CountingPort(i + 1, "p" + (i + 1));
            bridge.attach(ports[i]);
        }
        SplittableRandom rng = new SplittableRandom(1);
        long[] macs = new long[tableSize];
        for (int i = 0; i < tableSize; i++) {
            macs[i] = MacAddr.random(rng);
            bridge.table().learn(macs[i], ports[i % PORTS], clock.nanos());
        }
        frames = new ByteBuf[FRAMES];
        ingress = new CountingPort[FRAMES];
        for (int i = 0; i < FRAMES; i++) {
            int src = rng.nextInt(tableSize);
            int dst = rng.nextInt(tableSize);
            while (dst % PORTS == src % PORTS) {
                dst = rng.nextInt(tableSize);
            }
            ByteBuf f = PooledByteBufAllocator.DEFAULT.directBuffer(64);
            f.writeZero(64);
            Ethernet.setDst(f, 0, macs[dst]);
            Ethernet.setSrc(f, 0, macs[src]);
            Ethernet.setType(f, 0, Ethernet.TYPE_IPV4);
            frames[i] = f;
            ingress[i] = ports[src % PORTS];
        }
        holdFrames();
    }

    /** Tops the frames' held references up before each iteration ({@link BenchFrames#HELD}). */
    @Setup(Level.Iteration)
    public void holdFrames() {
        BenchFrames.hold(frames);
    }

    /** Releases the prebuilt frames. */
    @TearDown(Level.Trial)
    public void tearDown() {
        BenchFrames.releaseAll(frames);
    }

    /** One read batch of {@link #BATCH} known-unicast frames; reported per frame. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void knownUnicast() {
        Pipeline p = pipeline;
        p.beginBatch();
        int i = next;
        for (int n = 0; n < BATCH; n++) {
            ByteBuf f = frames[i];
            p.receive(ingress[i], f); // one of the references held (BenchFrames.HELD)
            i = (i + 1) & (FRAMES - 1);
        }
        next = i;
        p.endBatch();
    }

    /** Frames the egress ports were handed (for the functional test). */
    public long forwarded() {
        long n = 0;
        for (CountingPort port : ports) {
            n += port.frames();
        }
        return n;
    }

    /** Pipeline counters, for the functional test. */
    public Pipeline pipeline() {
        return pipeline;
    }

    /** The prebuilt frames, for the functional test. */
    public ByteBuf[] frames() {
        return frames;
    }
}
