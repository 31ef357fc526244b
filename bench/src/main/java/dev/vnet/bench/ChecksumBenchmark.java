package dev.vnet.bench;

import dev.vnet.dataplane.util.JvmOptions;
import dev.vnet.dataplane.util.NettyDefaults;
import dev.vnet.dataplane.wire.Checksum;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.NatRewrite;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.SoftwareOffload;
import dev.vnet.dataplane.wire.Tcp;
import io.netty.buffer.ByteBuf;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Checksum work per frame, on prebuilt frames: {@link #ttl} the router's TTL decrement with its RFC 1624 update of
 * the header checksum; {@link #natRewrite} MASQUERADE's rewrite of source address and port, updating the IPv4 and
 * the TCP/UDP checksum incrementally (alternately a 64-byte UDP datagram and a 74-byte TCP segment);
 * {@link #headerChecksum} the IPv4 header checksum computed in full (as for a packet the router builds); and
 * {@link #completeChecksum} the software fallback for a port without offloads: a 1514-byte TCP frame's partial
 * checksum completed over its 1480-byte segment. Each invocation handles {@link #BATCH} frames; results are per
 * frame.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {NettyDefaults.LEAK_DETECTION_ARG, NettyDefaults.CHECK_ACCESSIBLE_ARG,
        JvmOptions.GC})
public class ChecksumBenchmark {
    /** Frames per invocation. */
    public static final int BATCH = 32;
    /** Distinct small frames cycled through. */
    public static final int FRAMES = 256;
    /** Distinct full-size frames cycled through (24 KiB: they stay in cache, as a frame just read does). */
    public static final int BIG_FRAMES = 16;
    /** Length of the full-size frames. */
    public static final int BIG = 1514;
    private static final int IP = Ethernet.HEADER_LEN;
    private static final int L4 = IP + Ipv4.MIN_HEADER_LEN;
    private static final int PUBLIC = 0xC0A80102; // 192.168.1.2, the seed lab's uplink address
    /** The offload state of a partial TCP checksum (checksum starts at the TCP header, field at offset 16). */
    static final long PARTIAL_TCP = Offload.of(Offload.NEEDS_CSUM, Offload.GSO_NONE, 0, 0, L4, Tcp.CHECKSUM);

    private ByteBuf[] frames;
    private int[] sources;
    private int[] ports;
    private int[] ttlWords;
    private int[] ttlChecksums;
    private ByteBuf[] big;
    private int[] partialSums;
    private boolean rewritten;
    private int next;
    private int nextBig;

    /** Builds the frames; the full-size ones hold the pseudo-header sum in their checksum field, as offloaded. */
    @Setup(Level.Trial)
    public void setUp() {
        frames = new ByteBuf[FRAMES];
        sources = new int[FRAMES];
        ports = new int[FRAMES];
        ttlWords = new int[FRAMES];
        ttlChecksums = new int[FRAMES];
        long mac = MacAddr.parse("02:00:00:00:00:01");
        for (int i = 0; i < FRAMES; i++) {
            sources[i] = 0xC0A80F00 | (1 + i % 250); // 192.168.15.x
            ports[i] = 10_000 + i;
            int dst = 0xC6336400 | i; // 198.51.100.i
            frames[i] = i % 2 == 0
                    ? BenchFrames.udp(64, mac, mac + 1, sources[i], dst, ports[i], 53, 255)
                    : BenchFrames.tcp(74, mac, mac + 1, sources[i], dst, ports[i], 80);
            frames[i].setByte(IP + Ipv4.TTL, 255);
            Ipv4.updateChecksum(frames[i], IP);
            ttlWords[i] = frames[i].getUnsignedShort(IP + Ipv4.TTL);
            ttlChecksums[i] = frames[i].getUnsignedShort(IP + Ipv4.CHECKSUM);
        }
        big = new ByteBuf[BIG_FRAMES];
        partialSums = new int[BIG_FRAMES];
        for (int i = 0; i < BIG_FRAMES; i++) {
            int src = 0xC0A80F01;
            int dst = 0xC0A80F02;
            big[i] = BenchFrames.tcp(BIG, mac, mac + 1, src, dst, 30_000 + i, 80);
            int segment = BIG - L4;
            partialSums[i] = Checksum.pseudoHeader(src, dst, Ipv4.PROTO_TCP, segment);
            big[i].setShort(L4 + Tcp.CHECKSUM, partialSums[i]);
        }
    }

    /** Releases the frames. */
    @TearDown(Level.Trial)
    public void tearDown() {
        for (ByteBuf f : frames) {
            f.release();
        }
        for (ByteBuf f : big) {
            f.release();
        }
    }

    /**
     * TTL decremented by one, header checksum updated (a frame's TTL goes from 255 down to 1, then its TTL word and
     * checksum are put back: once in 254 uses).
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int ttl() {
        int acc = 0;
        int i = next;
        for (int n = 0; n < BATCH; n++) {
            ByteBuf f = frames[i];
            if (Ipv4.ttl(f, IP) <= 1) {
                f.setShort(IP + Ipv4.TTL, ttlWords[i]);
                f.setShort(IP + Ipv4.CHECKSUM, ttlChecksums[i]);
            }
            acc += Ipv4.decrementTtl(f, IP);
            i = (i + 1) & (FRAMES - 1);
        }
        next = i;
        return acc;
    }

    /**
     * Source address and port rewritten, both checksums updated incrementally; each pass over the frames translates
     * them to the public address and back, so every rewrite changes the frame.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void natRewrite() {
        int i = next;
        boolean back = rewritten;
        for (int n = 0; n < BATCH; n++) {
            ByteBuf f = frames[i];
            NatRewrite.setSrcAddress(f, IP, back ? sources[i] : PUBLIC);
            NatRewrite.setSrcPort(f, IP, back ? ports[i] : 61_000 - i);
            i = (i + 1) & (FRAMES - 1);
            if (i == 0) {
                back = !back;
            }
        }
        rewritten = back;
        next = i;
    }

    /** The IPv4 header checksum computed over the 20-byte header. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int headerChecksum() {
        int acc = 0;
        int i = next;
        for (int n = 0; n < BATCH; n++) {
            ByteBuf f = frames[i];
            Ipv4.updateChecksum(f, IP);
            acc += f.getShort(IP + Ipv4.CHECKSUM);
            i = (i + 1) & (FRAMES - 1);
        }
        next = i;
        return acc;
    }

    /**
     * A partial TCP checksum completed in software over a 1480-byte segment (the frame's field is put back to the
     * pseudo-header sum first, a 2-byte store, so every completion starts from what an offloaded frame carries).
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int completeChecksum() {
        int acc = 0;
        int i = nextBig;
        for (int n = 0; n < BATCH; n++) {
            ByteBuf f = big[i];
            f.setShort(L4 + Tcp.CHECKSUM, partialSums[i]);
            SoftwareOffload.completeChecksum(f, 0, BIG, PARTIAL_TCP);
            acc += f.getShort(L4 + Tcp.CHECKSUM);
            i = (i + 1) & (BIG_FRAMES - 1);
        }
        nextBig = i;
        return acc;
    }

    /** Small frame {@code i}, for the functional test. */
    ByteBuf frame(int i) {
        return frames[i];
    }

    /** Full-size frame {@code i}, for the functional test. */
    ByteBuf bigFrame(int i) {
        return big[i];
    }

    /** Whether the small frames are now translated, for the functional test. */
    boolean translated() {
        return rewritten;
    }
}
