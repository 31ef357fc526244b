package dev.vnet.bench;

import dev.vnet.dataplane.wire.Checksum;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Tcp;
import dev.vnet.dataplane.wire.Udp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

/** Well-formed IPv4 frames for the benchmarks, in pooled direct buffers as the dataplane reads them. */
final class BenchFrames {
    /**
     * References a benchmark holds on each prebuilt frame it offers again and again. The egress port releases one
     * per use, as it releases a frame read from a device, and never the last, so the measured loop needs no
     * {@code retain()} of its own: an atomic add per frame (about 5 ns) that the dataplane does not do. Topped up
     * before every iteration ({@link #hold}); one frame would have to be offered over 500 million times in one
     * iteration to run out.
     */
    static final int HELD = 1 << 29;

    private BenchFrames() {
    }

    /** Brings each frame back to {@link #HELD} references (outside the measured loop). */
    static void hold(ByteBuf[] frames) {
        for (ByteBuf f : frames) {
            int missing = HELD - f.refCnt();
            if (missing > 0) {
                f.retain(missing);
            }
        }
    }

    /** Releases every reference left on each frame, freeing it. */
    static void releaseAll(ByteBuf[] frames) {
        for (ByteBuf f : frames) {
            f.release(f.refCnt());
        }
    }

    /** A UDP datagram of {@code frameLength} bytes with Ethernet header, DF set, TTL {@code ttl}, checksums right. */
    static ByteBuf udp(int frameLength, long dstMac, long srcMac, int src, int dst, int srcPort, int dstPort,
                       int ttl) {
        ByteBuf f = frame(frameLength, dstMac, srcMac);
        int l4 = Ethernet.HEADER_LEN + Ipv4.MIN_HEADER_LEN;
        int udpLength = frameLength - l4;
        f.setShort(l4 + Udp.SRC_PORT, srcPort);
        f.setShort(l4 + Udp.DST_PORT, dstPort);
        f.setShort(l4 + Udp.LENGTH, udpLength);
        Ipv4.write(f, Ethernet.HEADER_LEN, Ipv4.MIN_HEADER_LEN + udpLength, 1, Ipv4.FLAG_DF, ttl, Ipv4.PROTO_UDP,
                src, dst);
        Udp.updateChecksum(f, l4, src, dst);
        return f;
    }

    /**
     * A UDP datagram over IPv6 of {@code frameLength} bytes from {@code src} to {@code dst}, hop limit 64, its
     * checksum right.
     */
    static ByteBuf udp6(int frameLength, long dstMac, long srcMac, Ipv6Address src, Ipv6Address dst, int srcPort,
                        int dstPort) {
        ByteBuf f = frame(frameLength, dstMac, srcMac);
        Ethernet.setType(f, 0, Ethernet.TYPE_IPV6);
        int l4 = Ethernet.HEADER_LEN + Ipv6.HEADER_LEN;
        int udpLength = frameLength - l4;
        Ipv6.write(f, Ethernet.HEADER_LEN, udpLength, Ipv6.NH_UDP, 64, src.hi(), src.lo(), dst.hi(), dst.lo());
        f.setShort(l4 + Udp.SRC_PORT, srcPort);
        f.setShort(l4 + Udp.DST_PORT, dstPort);
        f.setShort(l4 + Udp.LENGTH, udpLength);
        f.setShort(l4 + Udp.CHECKSUM, 0);
        int sum = Checksum.add(f, l4, udpLength, Ipv6.pseudoHeader(f, Ethernet.HEADER_LEN, Ipv6.NH_UDP, udpLength));
        int checksum = Checksum.finish(sum);
        f.setShort(l4 + Udp.CHECKSUM, checksum == 0 ? 0xFFFF : checksum);
        return f;
    }

    /** A TCP segment (ACK, 20-byte header) of {@code frameLength} bytes, DF set, TTL 64, checksums right. */
    static ByteBuf tcp(int frameLength, long dstMac, long srcMac, int src, int dst, int srcPort, int dstPort) {
        ByteBuf f = frame(frameLength, dstMac, srcMac);
        int l4 = Ethernet.HEADER_LEN + Ipv4.MIN_HEADER_LEN;
        int segment = frameLength - l4;
        f.setShort(l4 + Tcp.SRC_PORT, srcPort);
        f.setShort(l4 + Tcp.DST_PORT, dstPort);
        f.setInt(l4 + Tcp.SEQ, 1000);
        f.setInt(l4 + Tcp.ACK, 2000);
        f.setByte(l4 + Tcp.DATA_OFFSET, (Tcp.MIN_HEADER_LEN / 4) << 4);
        f.setByte(l4 + Tcp.FLAGS, Tcp.ACK_FLAG);
        f.setShort(l4 + Tcp.WINDOW, 65535);
        for (int i = l4 + Tcp.MIN_HEADER_LEN; i < frameLength; i++) {
            f.setByte(i, i * 31); // a payload that is not all zeros, so checksums sum something
        }
        Ipv4.write(f, Ethernet.HEADER_LEN, Ipv4.MIN_HEADER_LEN + segment, 1, Ipv4.FLAG_DF, 64, Ipv4.PROTO_TCP,
                src, dst);
        Tcp.updateChecksum(f, l4, segment, src, dst);
        return f;
    }

    private static ByteBuf frame(int frameLength, long dstMac, long srcMac) {
        ByteBuf f = PooledByteBufAllocator.DEFAULT.directBuffer(frameLength);
        f.writeZero(frameLength);
        Ethernet.setDst(f, 0, dstMac);
        Ethernet.setSrc(f, 0, srcMac);
        Ethernet.setType(f, 0, Ethernet.TYPE_IPV4);
        return f;
    }
}
