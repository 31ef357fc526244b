package dev.vnet.bench;

import dev.vnet.dataplane.port.FrameSink;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.util.JvmOptions;
import dev.vnet.dataplane.util.NettyDefaults;
import dev.vnet.dataplane.vxlan.Decapsulation;
import dev.vnet.dataplane.vxlan.VtepPort;
import dev.vnet.dataplane.vxlan.VxlanEndpoint;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.SoftwareOffload;
import dev.vnet.dataplane.wire.Vxlan;
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

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * What a VTEP does in user space per frame, without the system calls around it:
 * <ul>
 *   <li>{@code encapsulateSuperFrame}: a 64 KiB TCP super-frame from a TAP (MSS 1398, the MSS of a 1450-byte inner
 *   MTU) cut into 47 segments as the sender does it: each segment's VXLAN, Ethernet, IP and TCP headers written into
 *   one pooled buffer, the TCP checksum summed over the payload where it is (the payload goes out by scatter-gather);
 *   per super-frame. {@code encapsulateSuperFrameCopying}: the same with the payload copied behind each header too
 *   (what the sender did before), for comparison.</li>
 *   <li>{@code decapsulateGroBatch}: what one {@code UDP_GRO} read of those 47 datagrams becomes: each header checked
 *   and its tunnel looked up, each segment's checksums verified, all joined into one super-frame in a pooled buffer
 *   for the TAP; per batch.</li>
 *   <li>{@code decapsulateDatagram}: one datagram read alone: checked, looked up, handed over in place.</li>
 * </ul>
 * Divide a batch's time by 47 for a segment. Every pooled buffer is released as a port releases a frame once
 * written.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {NettyDefaults.LEAK_DETECTION_ARG, NettyDefaults.CHECK_ACCESSIBLE_ARG,
        JvmOptions.GC})
public class VxlanBenchmark {
    /** The inner frames' MSS: a 1450-byte inner MTU less 52 bytes of IP and TCP headers with timestamps' room. */
    public static final int MSS = 1398;
    /** The super-frame: 65 480 bytes of IP behind its Ethernet header. */
    public static final int SUPER_FRAME = Ethernet.HEADER_LEN + 65_480;
    /** Segments it makes. */
    public static final int SEGMENTS = (65_480 - 40 + MSS - 1) / MSS;
    private static final long OFFLOAD = Offload.of(Offload.NEEDS_CSUM, Offload.GSO_TCPV4, 54, MSS, 34, 16);
    private static final int VNI = 42;
    private static final int REMOTE = Ipv4Addr.parse("127.0.0.2");

    private final PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private ByteBuf superFrame;
    private ByteBuf header;
    private ByteBuf batch;
    private ByteBuf datagram;
    private int datagramSize;
    private VxlanEndpoint endpoint;
    private VtepPort tunnel;
    private Decapsulation decapsulation;
    private long framesOut;
    private long offloadOut;

    /** Builds the super-frame, its datagrams, and a VTEP (on 127.0.0.1, an ephemeral port) with one tunnel. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        long mac = MacAddr.parse("02:00:00:00:00:01");
        superFrame = BenchFrames.tcp(SUPER_FRAME, mac, mac + 1, 0xC0000201, 0xC0000202, 40_000, 5201);
        header = alloc.directBuffer(Vxlan.HEADER_LEN);
        Vxlan.write(header, 0, VNI);
        header.writerIndex(Vxlan.HEADER_LEN);
        batch = alloc.directBuffer(SUPER_FRAME + SEGMENTS * (Vxlan.HEADER_LEN + 54));
        SoftwareOffload.segmentInto(superFrame, 0, SUPER_FRAME, OFFLOAD, batch, header, 0, Vxlan.HEADER_LEN);
        datagramSize = Vxlan.HEADER_LEN + 54 + MSS;
        datagram = alloc.directBuffer(datagramSize).writeBytes(batch, 0, datagramSize);
        FrameSink sink = new FrameSink() {
            @Override
            public void beginBatch() {
            }

            @Override
            public void receive(Port in, ByteBuf frame, long offload) {
                framesOut++;
                offloadOut = offload;
                frame.release();
            }

            @Override
            public void endBatch() {
            }

            @Override
            public void failed(Port in, Throwable t) {
                throw new IllegalStateException(t);
            }
        };
        endpoint = VxlanEndpoint.open(1, Ipv4Addr.parse("127.0.0.1"), 0, 1500, new FrameSink[] {sink}, alloc);
        tunnel = endpoint.addTunnel(2, "vxlan42@127.0.0.2", VNI, REMOTE, true, true);
        decapsulation = new Decapsulation(endpoint, sink, alloc);
    }

    /** Releases the buffers, closes the tunnel (its native header) and the VTEP's sockets. */
    @TearDown(Level.Trial)
    public void tearDown() {
        superFrame.release();
        header.release();
        batch.release();
        datagram.release();
        tunnel.close();
        endpoint.close();
    }

    /** One super-frame's segment headers written, checksums over the payload in place; returns the segments. */
    @Benchmark
    public int encapsulateSuperFrame() {
        ByteBuf out = alloc.directBuffer(SEGMENTS * (Vxlan.HEADER_LEN + 54));
        try {
            return SoftwareOffload.segmentHeaders(superFrame, 0, SUPER_FRAME, OFFLOAD, out, header, 0,
                    Vxlan.HEADER_LEN);
        } finally {
            out.release();
        }
    }

    /** One super-frame cut into whole VXLAN datagrams in one buffer, payload copied; returns the segments. */
    @Benchmark
    public int encapsulateSuperFrameCopying() {
        ByteBuf out = alloc.directBuffer(batch.readableBytes());
        try {
            return SoftwareOffload.segmentInto(superFrame, 0, SUPER_FRAME, OFFLOAD, out, header, 0, Vxlan.HEADER_LEN);
        } finally {
            out.release();
        }
    }

    /** One coalesced read of the 47 datagrams decapsulated and joined; returns the frames handed on (one). */
    @Benchmark
    public long decapsulateGroBatch() {
        long before = framesOut;
        decapsulation.batch(batch, batch.readableBytes(), datagramSize, REMOTE);
        return framesOut - before;
    }

    /** One datagram read alone, decapsulated in place; returns the frames handed on (one). */
    @Benchmark
    public long decapsulateDatagram() {
        long before = framesOut;
        datagram.retain(); // the sink releases what it is handed: the benchmark keeps its datagram
        decapsulation.single(datagram, datagramSize, REMOTE);
        datagram.setIndex(0, datagramSize);
        return framesOut - before;
    }

    /** The offload state of the last frame handed on, for the functional test. */
    long lastOffload() {
        return offloadOut;
    }
}
