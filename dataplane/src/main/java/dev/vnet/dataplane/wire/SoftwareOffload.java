package dev.vnet.dataplane.wire;

import io.netty.buffer.ByteBuf;

import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * What a NIC does with an offloaded frame, done in software for a port that cannot take offloads: completing a
 * partial checksum, and cutting a TCPv4 super-frame into MSS-sized segments (as the kernel's GSO does,
 * {@code tcp_gso_segment}): each segment gets a copy of the headers, its slice of the payload, its own IP total
 * length, IP id (incremented per segment), header checksum and sequence number; FIN and PSH stay on the last segment,
 * CWR on the first; each TCP checksum is computed in full. This is the slow path: it copies.
 */
public final class SoftwareOffload {
    /**
     * Most segments one super-frame may be cut into: 64 KiB at an MSS of 64 bytes. A header asking for more (a tiny
     * gso_size, which a tenant can make its own stack send) is refused rather than turned into thousands of frames.
     */
    public static final int MAX_SEGMENTS = 1024;
    private static final int IPV6_HEADER_LEN = 40;
    private static final int IPV6_PAYLOAD_LENGTH = 4;
    private static final int IPV6_NEXT_HEADER = 6;
    private static final int IPV6_SRC = 8;

    private SoftwareOffload() {
    }

    /** Fills in the partial checksum {@code offload} describes, for the frame starting at {@code start}. */
    public static void completeChecksum(ByteBuf buf, int start, int length, long offload) {
        int from = start + Offload.csumStart(offload);
        int field = from + Offload.csumOffset(offload);
        int end = start + length;
        if (from >= end || field + 2 > end) {
            return; // a header that points outside the frame: leave the bytes as they are
        }
        int sum = Checksum.finish(Checksum.add(buf, from, end - from, 0));
        if (Offload.csumOffset(offload) == Udp.CHECKSUM && sum == 0) {
            sum = 0xFFFF; // UDP sends a computed 0 as all ones (RFC 768)
        }
        buf.setShort(field, sum);
    }

    /**
     * Cuts the TCP super-frame {@code buf[start, start+length)} (TCPv4, or TCPv6 without extension headers) into
     * segments built in buffers from {@code alloc}, each handed to {@code out} with complete checksums (for IPv4 also
     * the header's: length, id and checksum per segment; for IPv6 the payload length). Returns the number of
     * segments, or -1 (nothing handed out) when the frame is not a super-frame it can cut, or would make more than
     * {@link #MAX_SEGMENTS}. Does not release {@code buf}.
     */
    public static int segment(ByteBuf buf, int start, int length, long offload, IntFunction<ByteBuf> alloc,
                              Consumer<ByteBuf> out) {
        return cut(buf, start, length, offload, alloc, out, null, null, 0, 0, false);
    }

    /**
     * As {@link #segment}, but every segment is written into {@code dst} one after the other, each behind a copy of
     * {@code prefix[prefixAt, prefixAt+prefixLen)} (an encapsulation header), so that the segments can leave in one
     * write that the kernel cuts again ({@code UDP_SEGMENT}). {@code dst} needs room for
     * {@code segments * (prefixLen + headers) + payload} bytes ({@link #headerLength}). Returns the number of
     * segments, or -1 with nothing written.
     */
    public static int segmentInto(ByteBuf buf, int start, int length, long offload, ByteBuf dst, ByteBuf prefix,
                                  int prefixAt, int prefixLen) {
        return cut(buf, start, length, offload, null, null, dst, prefix, prefixAt, prefixLen, false);
    }

    /**
     * As {@link #segmentInto}, but only each segment's prefix and headers are written into {@code dst} (the payload
     * stays where it is: segment {@code i}'s is {@code gsoSize} bytes at {@code start + headers + i * gsoSize}, the
     * last one shorter), each TCP checksum computed over the headers written and the payload read in place. So the
     * segments can leave as a scatter-gather list of (headers, payload) pieces, the payload never copied.
     * {@code dst} needs room for {@code segments * (prefixLen + headers)} bytes.
     */
    public static int segmentHeaders(ByteBuf buf, int start, int length, long offload, ByteBuf dst, ByteBuf prefix,
                                     int prefixAt, int prefixLen) {
        return cut(buf, start, length, offload, null, null, dst, prefix, prefixAt, prefixLen, true);
    }

    /**
     * The bytes of headers (Ethernet, IP, TCP) every segment of the super-frame {@code buf[start, start+length)}
     * carries, or -1 when {@link #segment} would refuse it.
     */
    public static int headerLength(ByteBuf buf, int start, int length, long offload) {
        int ethType = Ethernet.type(buf, start);
        int l3 = start + (ethType == Ethernet.TYPE_VLAN ? Ethernet.VLAN_HEADER_LEN : Ethernet.HEADER_LEN);
        boolean v6 = Offload.gsoType(offload) == Offload.GSO_TCPV6;
        if (Offload.gsoType(offload) != Offload.GSO_TCPV4 && !v6 || Offload.gsoSize(offload) == 0) {
            return -1;
        }
        int ipHeader;
        if (v6) {
            if (l3 + IPV6_HEADER_LEN > start + length || (buf.getUnsignedByte(l3) >>> 4) != 6
                    || buf.getUnsignedByte(l3 + IPV6_NEXT_HEADER) != Ipv4.PROTO_TCP) {
                return -1; // extension headers are not cut here
            }
            ipHeader = IPV6_HEADER_LEN;
        } else {
            if (l3 + Ipv4.MIN_HEADER_LEN > start + length || (buf.getUnsignedByte(l3) >>> 4) != 4
                    || Ipv4.protocol(buf, l3) != Ipv4.PROTO_TCP) {
                return -1;
            }
            ipHeader = Ipv4.headerLength(buf, l3);
        }
        int l4 = l3 + ipHeader;
        if (l4 + Tcp.MIN_HEADER_LEN > start + length) {
            return -1;
        }
        int tcpLen = (buf.getUnsignedByte(l4 + Tcp.DATA_OFFSET) >>> 4) * 4;
        int headers = l4 + tcpLen - start;
        if (tcpLen < Tcp.MIN_HEADER_LEN || headers > length) {
            return -1;
        }
        int count = Math.max(1, (length - headers + Offload.gsoSize(offload) - 1) / Offload.gsoSize(offload));
        return count > MAX_SEGMENTS ? -1 : headers;
    }

    /** {@link #segment} into buffers of their own ({@code dst} null), or {@link #segmentInto} {@code dst}. */
    private static int cut(ByteBuf buf, int start, int length, long offload, IntFunction<ByteBuf> alloc,
                           Consumer<ByteBuf> out, ByteBuf dst, ByteBuf prefix, int prefixAt, int prefixLen,
                           boolean headersOnly) {
        int headers = headerLength(buf, start, length, offload);
        if (headers < 0) {
            return -1;
        }
        int ethType = Ethernet.type(buf, start);
        int l3 = start + (ethType == Ethernet.TYPE_VLAN ? Ethernet.VLAN_HEADER_LEN : Ethernet.HEADER_LEN);
        int mss = Offload.gsoSize(offload);
        boolean v6 = Offload.gsoType(offload) == Offload.GSO_TCPV6;
        int l4 = l3 + (v6 ? IPV6_HEADER_LEN : Ipv4.headerLength(buf, l3));
        int tcpLen = (buf.getUnsignedByte(l4 + Tcp.DATA_OFFSET) >>> 4) * 4;
        int payload = length - headers;
        int ipOff = l3 - start;
        int tcpOff = l4 - start;
        int id = v6 ? 0 : buf.getUnsignedShort(l3 + Ipv4.ID);
        long seq = buf.getUnsignedInt(l4 + Tcp.SEQ);
        int flags = buf.getUnsignedByte(l4 + Tcp.FLAGS);
        int src = v6 ? 0 : Ipv4.src(buf, l3);
        int dst4 = v6 ? 0 : Ipv4.dst(buf, l3);
        // IPv6 pseudo-header (RFC 8200 8.1): both addresses, the upper-layer length and next header, added per segment.
        int addresses = v6 ? Checksum.add(buf, l3 + IPV6_SRC, 32, 0) : 0;
        int count = Math.max(1, (payload + mss - 1) / mss);
        for (int i = 0; i < count; i++) {
            int off = i * mss;
            int size = Math.min(mss, payload - off);
            ByteBuf s;
            if (dst != null) {
                dst.writeBytes(prefix, prefixAt, prefixLen);
                s = dst;
            } else {
                s = alloc.apply(headers + size);
            }
            int base = s.writerIndex();
            s.writeBytes(buf, start, headers);
            if (!headersOnly) {
                s.writeBytes(buf, start + headers + off, size);
            }
            if (v6) {
                s.setShort(base + ipOff + IPV6_PAYLOAD_LENGTH, tcpLen + size);
            } else {
                s.setShort(base + ipOff + Ipv4.TOTAL_LENGTH, headers - ipOff + size);
                s.setShort(base + ipOff + Ipv4.ID, (id + i) & 0xFFFF);
                Ipv4.updateChecksum(s, base + ipOff);
            }
            s.setInt(base + tcpOff + Tcp.SEQ, (int) (seq + off));
            int f = flags;
            if (i < count - 1) {
                f &= ~(Tcp.FIN | Tcp.PSH);
            }
            if (i > 0) {
                f &= ~Tcp.CWR;
            }
            s.setByte(base + tcpOff + Tcp.FLAGS, f);
            s.setShort(base + tcpOff + Tcp.CHECKSUM, 0);
            int pseudo = v6 ? addresses + tcpLen + size + Ipv4.PROTO_TCP
                    : Checksum.pseudoHeader(src, dst4, Ipv4.PROTO_TCP, tcpLen + size);
            // The TCP header's length is a multiple of 4: its sum and the payload's add up as one region's would.
            int sum = headersOnly ? Checksum.add(buf, start + headers + off, size, Checksum.add(s, base + tcpOff, tcpLen,
                    pseudo)) : Checksum.add(s, base + tcpOff, tcpLen + size, pseudo);
            s.setShort(base + tcpOff + Tcp.CHECKSUM, Checksum.finish(sum));
            if (dst == null) {
                out.accept(s);
            }
        }
        return count;
    }
}
