package dev.vnet.bench;

import dev.vnet.dataplane.util.JvmOptions;
import dev.vnet.dataplane.util.NettyDefaults;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.SoftwareOffload;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.concurrent.TimeUnit;

/**
 * The software fallback for a port without offloads, per TCP super-frame: a 64 KiB TCPv4 super-frame (MSS 1448) cut
 * into 46 segments, each in a pooled buffer of its own with its headers, IPv4 checksum and full TCP checksum, and
 * released as a port releases a frame once written. Reported per super-frame: divide by 46 for a segment, or see
 * it as the Gbit/s one core can segment (65 KB per op).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {NettyDefaults.LEAK_DETECTION_ARG, NettyDefaults.CHECK_ACCESSIBLE_ARG,
        JvmOptions.GC})
public class SoftwareOffloadBenchmark {
    /** The super-frame's length: an IPv4 packet of 65 480 bytes behind its Ethernet header. */
    public static final int SUPER_FRAME = Ethernet.HEADER_LEN + 65_480;
    /** The segment payload size the super-frame was sent with. */
    public static final int MSS = 1448;
    /** Its offload state, as a TAP read with the virtio-net header gives it. */
    static final long OFFLOAD = Offload.of(Offload.NEEDS_CSUM, Offload.GSO_TCPV4, 54, MSS, 34, 16);

    private final IntFunction<ByteBuf> alloc = PooledByteBufAllocator.DEFAULT::directBuffer;
    private ByteBuf superFrame;
    private long segments;
    private final Consumer<ByteBuf> port = s -> {
        segments++;
        s.release();
    };

    /** Builds the super-frame. */
    @Setup(Level.Trial)
    public void setUp() {
        long mac = MacAddr.parse("02:00:00:00:00:01");
        superFrame = BenchFrames.tcp(SUPER_FRAME, mac, mac + 1, 0xC0A80F01, 0xC0A80F02, 40_000, 5201);
    }

    /** Releases it. */
    @TearDown(Level.Trial)
    public void tearDown() {
        superFrame.release();
    }

    /** One super-frame segmented; returns the number of segments. */
    @Benchmark
    public int segment() {
        return SoftwareOffload.segment(superFrame, 0, SUPER_FRAME, OFFLOAD, alloc, port);
    }

    /** Segments handed on so far, for the functional test. */
    long segments() {
        return segments;
    }

    /** Segments the super-frame into {@code out}, for the functional test. */
    int segmentInto(Consumer<ByteBuf> out) {
        return SoftwareOffload.segment(superFrame, 0, SUPER_FRAME, OFFLOAD, alloc, out);
    }

    /** The IPv4 total length the super-frame's header says, for the functional test. */
    int ipLength() {
        return Ipv4.totalLength(superFrame, Ethernet.HEADER_LEN);
    }
}
