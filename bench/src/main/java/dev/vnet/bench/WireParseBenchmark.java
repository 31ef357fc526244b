package dev.vnet.bench;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.util.JvmOptions;
import dev.vnet.dataplane.util.NettyDefaults;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.Tcp;
import dev.vnet.dataplane.wire.Udp;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Header parsing as the dataplane does it, per frame, on prebuilt frames (alternately a 64-byte UDP datagram and a
 * 74-byte TCP segment, {@link #FRAMES} different flows): {@link #ethernet} the Ethernet check every frame from a port
 * gets (length, VLAN tag, source a station) and its MACs and EtherType; {@link #ipv4} the router's IPv4 header check
 * (version, IHL, lengths, header checksum) and addresses; {@link #flowKey} both, the transport check and ports, and
 * the connection key conntrack looks up; {@link #virtioHeader} the virtio-net header in front of every read when
 * offloads are on; {@link #ipv6} the router's IPv6 header check and extension-header walk to the upper-layer header,
 * on IPv6 frames of the same flows (every other one behind a hop-by-hop header). Each invocation parses
 * {@link #BATCH} frames; results are per frame.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {NettyDefaults.LEAK_DETECTION_ARG, NettyDefaults.CHECK_ACCESSIBLE_ARG,
        JvmOptions.GC})
public class WireParseBenchmark {
    /** Frames parsed per invocation. */
    public static final int BATCH = 32;
    /** Distinct prebuilt frames cycled through. */
    public static final int FRAMES = 256;
    private static final int IP = Ethernet.HEADER_LEN;

    private ByteBuf[] frames;
    private ByteBuf[] frames6;
    private ByteBuf headers;
    private int next;
    private long lastLo;

    /** Builds the frames and a buffer of virtio-net headers, one per frame. */
    @Setup(Level.Trial)
    public void setUp() {
        frames = new ByteBuf[FRAMES];
        frames6 = new ByteBuf[FRAMES];
        headers = PooledByteBufAllocator.DEFAULT.directBuffer(FRAMES * Offload.HEADER_LEN);
        for (int i = 0; i < FRAMES; i++) {
            long dstMac = MacAddr.parse("02:00:00:00:01:00") + i;
            long srcMac = MacAddr.parse("02:00:00:00:02:00") + i;
            int src = 0xC0A80F00 | i; // 192.168.15.i
            int dst = 0xC6336400 | (255 - i); // 198.51.100.x
            frames[i] = i % 2 == 0
                    ? BenchFrames.udp(64, dstMac, srcMac, src, dst, 10_000 + i, 53, 64)
                    : BenchFrames.tcp(74, dstMac, srcMac, src, dst, 20_000 + i, 80);
            frames6[i] = ipv6(dstMac, srcMac, i, i % 2 == 0);
            long offload = i % 2 == 0 ? 0 : Offload.of(Offload.NEEDS_CSUM, Offload.GSO_TCPV4, 54, 1448, 34, 16);
            headers.writeZero(Offload.HEADER_LEN);
            Offload.write(headers, i * Offload.HEADER_LEN, offload);
        }
    }

    /** Releases the buffers. */
    @TearDown(Level.Trial)
    public void tearDown() {
        for (ByteBuf f : frames) {
            f.release();
        }
        for (ByteBuf f : frames6) {
            f.release();
        }
        headers.release();
    }

    /** An IPv6 UDP datagram of flow {@code i} (fd00:15::i to 2001:db8::i), behind a hop-by-hop header or not. */
    private static ByteBuf ipv6(long dstMac, long srcMac, int i, boolean hopByHop) {
        int ext = hopByHop ? 8 : 0;
        int length = IP + Ipv6.HEADER_LEN + ext + 8 + 18;
        ByteBuf f = PooledByteBufAllocator.DEFAULT.directBuffer(length);
        f.writeZero(length);
        Ethernet.setDst(f, 0, dstMac);
        Ethernet.setSrc(f, 0, srcMac);
        Ethernet.setType(f, 0, Ethernet.TYPE_IPV6);
        f.setInt(IP, 6 << 28);
        f.setShort(IP + Ipv6.PAYLOAD_LENGTH, ext + 8 + 18);
        f.setByte(IP + Ipv6.NEXT_HEADER, hopByHop ? Ipv6.NH_HOP_BY_HOP : Ipv6.NH_UDP);
        f.setByte(IP + Ipv6.HOP_LIMIT, 64);
        f.setLong(IP + Ipv6.SRC, 0xFD00_0015_0000_0000L);
        f.setLong(IP + Ipv6.SRC + 8, i);
        f.setLong(IP + Ipv6.DST, 0x2001_0DB8_0000_0000L);
        f.setLong(IP + Ipv6.DST + 8, i);
        int at = IP + Ipv6.HEADER_LEN;
        if (hopByHop) {
            f.setByte(at, Ipv6.NH_UDP);
            f.setByte(at + 2, 1); // PadN over the rest
            f.setByte(at + 3, 4);
            at += 8;
        }
        f.setShort(at, 10_000 + i);
        f.setShort(at + 2, 53);
        f.setShort(at + 4, 8 + 18);
        return f;
    }

    /** IPv6 header check and extension walk, then the addresses and upper-layer protocol. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long ipv6() {
        long acc = 0;
        int i = next;
        for (int n = 0; n < BATCH; n++) {
            ByteBuf f = frames6[i];
            if (Ipv6.check(f, IP, f.readableBytes() - IP) == null) {
                long walk = Ipv6.walk(f, IP);
                acc += Ipv6.srcLo(f, IP) ^ Ipv6.dstHi(f, IP) ^ Ipv6.upperProtocol(walk) ^ Ipv6.upperOffset(walk);
            }
            i = (i + 1) & (FRAMES - 1);
        }
        next = i;
        return acc;
    }

    /** The upper-layer protocol and its offset of IPv6 frame {@code i}, for the functional test. */
    long ipv6Walk(int i) {
        return Ipv6.walk(frames6[i], IP);
    }

    /** Ethernet check, then destination, source and EtherType. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long ethernet() {
        long acc = 0;
        int i = next;
        for (int n = 0; n < BATCH; n++) {
            ByteBuf f = frames[i];
            if (Ethernet.checkFromStation(f, 0, f.readableBytes()) == null) {
                acc += Ethernet.dst(f, 0) ^ Ethernet.src(f, 0) ^ Ethernet.type(f, 0);
            }
            i = (i + 1) & (FRAMES - 1);
        }
        next = i;
        return acc;
    }

    /** IPv4 header check (header checksum included), then the addresses and protocol. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long ipv4() {
        long acc = 0;
        int i = next;
        for (int n = 0; n < BATCH; n++) {
            ByteBuf f = frames[i];
            if (Ipv4.check(f, IP, f.readableBytes() - IP) == null) {
                acc += Ipv4.src(f, IP) ^ Ipv4.dst(f, IP) ^ Ipv4.protocol(f, IP);
            }
            i = (i + 1) & (FRAMES - 1);
        }
        next = i;
        return acc;
    }

    /** Ethernet, IPv4 and transport checks and the connection key (the parsing before a conntrack lookup). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long flowKey() {
        long acc = 0;
        int i = next;
        for (int n = 0; n < BATCH; n++) {
            ByteBuf f = frames[i];
            long hi = key(f);
            if (hi != 0) {
                acc += hi ^ lastLo;
            }
            i = (i + 1) & (FRAMES - 1);
        }
        next = i;
        return acc;
    }

    /** The frame's connection key's high half (its low half in {@link #lastLo}), or 0 when a check fails. */
    long key(ByteBuf f) {
        int length = f.readableBytes();
        if (Ethernet.checkFromStation(f, 0, length) != null || Ethernet.type(f, 0) != Ethernet.TYPE_IPV4) {
            return 0;
        }
        int available = length - IP;
        if (Ipv4.check(f, IP, available) != null || !Ipv4.hasTransportHeader(f, IP)) {
            return 0;
        }
        int protocol = Ipv4.protocol(f, IP);
        int l4 = IP + Ipv4.headerLength(f, IP);
        int payload = Ipv4.totalLength(f, IP) - Ipv4.headerLength(f, IP);
        DropReason bad;
        int srcPort;
        int dstPort;
        if (protocol == Ipv4.PROTO_TCP) {
            bad = Tcp.check(f, l4, payload);
            srcPort = Tcp.srcPort(f, l4);
            dstPort = Tcp.dstPort(f, l4);
        } else if (protocol == Ipv4.PROTO_UDP) {
            bad = Udp.check(f, l4, payload);
            srcPort = Udp.srcPort(f, l4);
            dstPort = Udp.dstPort(f, l4);
        } else {
            return 0;
        }
        if (bad != null) {
            return 0;
        }
        lastLo = FlowKey.lo(protocol, srcPort, dstPort);
        return FlowKey.hi(Ipv4.src(f, IP), Ipv4.dst(f, IP));
    }

    /** The virtio-net header of a read (10 bytes, little-endian) into the frame's offload state. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long virtioHeader() {
        long acc = 0;
        int i = next;
        for (int n = 0; n < BATCH; n++) {
            acc += Offload.read(headers, i * Offload.HEADER_LEN);
            i = (i + 1) & (FRAMES - 1);
        }
        next = i;
        return acc;
    }

    /** Frame {@code i}, for the functional test. */
    ByteBuf frame(int i) {
        return frames[i];
    }

    /** The low half of the key {@link #key} found last, for the functional test. */
    long lastLo() {
        return lastLo;
    }
}
