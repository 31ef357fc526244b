package dev.vnet.dataplane.testing;

import dev.vnet.dataplane.wire.Arp;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.Tcp;
import dev.vnet.dataplane.wire.Udp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * Builds test frames in pooled direct buffers (like the ones TAP ports read into), with correct checksums.
 * Each method returns a buffer the caller owns.
 */
public final class FrameBuilder {
    private FrameBuilder() {
    }

    /** A buffer holding exactly {@code bytes}. */
    public static ByteBuf of(byte[] bytes) {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length);
        buf.writeBytes(bytes);
        return buf;
    }

    /** A buffer holding the hex string (spaces ignored). */
    public static ByteBuf hex(String hex) {
        return of(ByteBufUtil.decodeHexDump(hex.replaceAll("\\s+", "")));
    }

    /** An Ethernet frame with the given payload. */
    public static ByteBuf ethernet(long dst, long src, int type, byte[] payload) {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(Ethernet.HEADER_LEN + payload.length);
        buf.writerIndex(Ethernet.HEADER_LEN);
        Ethernet.setDst(buf, 0, dst);
        Ethernet.setSrc(buf, 0, src);
        Ethernet.setType(buf, 0, type);
        buf.writeBytes(payload);
        return buf;
    }

    /** A broadcast ARP request: who has {@code targetIp}, tell {@code senderIp}. */
    public static ByteBuf arpRequest(long senderMac, int senderIp, int targetIp) {
        ByteBuf buf = ethernet(MacAddr.BROADCAST, senderMac, Ethernet.TYPE_ARP, new byte[Arp.LENGTH]);
        Arp.write(buf, Ethernet.HEADER_LEN, Arp.OP_REQUEST, senderMac, senderIp, 0, targetIp);
        return buf;
    }

    /** An IPv4 frame of any {@code protocol} carrying {@code payload} as it is, with a correct header checksum. */
    public static ByteBuf ipv4(long dst, long src, int srcIp, int dstIp, int protocol, byte[] payload) {
        ByteBuf buf = ipv4Frame(dst, src, Ipv4.MIN_HEADER_LEN + payload.length);
        int ip = Ethernet.HEADER_LEN;
        buf.setBytes(ip + Ipv4.MIN_HEADER_LEN, payload);
        Ipv4.write(buf, ip, Ipv4.MIN_HEADER_LEN + payload.length, 0x1234, Ipv4.FLAG_DF, 64, protocol, srcIp, dstIp);
        return buf;
    }

    /** An IPv4/UDP frame (20-byte header, no options) with correct checksums. */
    public static ByteBuf udp(long dst, long src, int srcIp, int dstIp, int srcPort, int dstPort, byte[] payload) {
        int udpLength = Udp.HEADER_LEN + payload.length;
        ByteBuf buf = ipv4Frame(dst, src, Ipv4.MIN_HEADER_LEN + udpLength);
        int ip = Ethernet.HEADER_LEN;
        int l4 = ip + Ipv4.MIN_HEADER_LEN;
        buf.setShort(l4 + Udp.SRC_PORT, srcPort);
        buf.setShort(l4 + Udp.DST_PORT, dstPort);
        buf.setShort(l4 + Udp.LENGTH, udpLength);
        buf.setBytes(l4 + Udp.HEADER_LEN, payload);
        Ipv4.write(buf, ip, Ipv4.MIN_HEADER_LEN + udpLength, 0x1234, Ipv4.FLAG_DF, 64, Ipv4.PROTO_UDP, srcIp, dstIp);
        Udp.updateChecksum(buf, l4, srcIp, dstIp);
        return buf;
    }

    /** An IPv4/TCP frame (20-byte header, no options) with correct checksums. */
    public static ByteBuf tcp(long dst, long src, int srcIp, int dstIp, int srcPort, int dstPort, int flags,
                              byte[] payload) {
        int segment = Tcp.MIN_HEADER_LEN + payload.length;
        ByteBuf buf = ipv4Frame(dst, src, Ipv4.MIN_HEADER_LEN + segment);
        int ip = Ethernet.HEADER_LEN;
        int l4 = ip + Ipv4.MIN_HEADER_LEN;
        buf.setShort(l4 + Tcp.SRC_PORT, srcPort);
        buf.setShort(l4 + Tcp.DST_PORT, dstPort);
        buf.setInt(l4 + Tcp.SEQ, 1000);
        buf.setInt(l4 + Tcp.ACK, 0);
        buf.setByte(l4 + Tcp.DATA_OFFSET, 5 << 4);
        buf.setByte(l4 + Tcp.FLAGS, flags);
        buf.setShort(l4 + Tcp.WINDOW, 65535);
        buf.setBytes(l4 + Tcp.MIN_HEADER_LEN, payload);
        Ipv4.write(buf, ip, Ipv4.MIN_HEADER_LEN + segment, 0x4321, Ipv4.FLAG_DF, 64, Ipv4.PROTO_TCP, srcIp, dstIp);
        Tcp.updateChecksum(buf, l4, segment, srcIp, dstIp);
        return buf;
    }

    /** An ICMP echo request with correct checksums. */
    public static ByteBuf icmpEcho(long dst, long src, int srcIp, int dstIp, int id, int seq, byte[] payload) {
        int length = Icmp4.HEADER_LEN + payload.length;
        ByteBuf buf = ipv4Frame(dst, src, Ipv4.MIN_HEADER_LEN + length);
        int ip = Ethernet.HEADER_LEN;
        int l4 = ip + Ipv4.MIN_HEADER_LEN;
        buf.setByte(l4 + Icmp4.TYPE, Icmp4.TYPE_ECHO_REQUEST);
        buf.setByte(l4 + Icmp4.CODE, 0);
        buf.setShort(l4 + Icmp4.ECHO_ID, id);
        buf.setShort(l4 + Icmp4.ECHO_SEQ, seq);
        buf.setBytes(l4 + Icmp4.HEADER_LEN, payload);
        Ipv4.write(buf, ip, Ipv4.MIN_HEADER_LEN + length, 1, 0, 64, Ipv4.PROTO_ICMP, srcIp, dstIp);
        Icmp4.updateChecksum(buf, l4, length);
        return buf;
    }

    /**
     * {@code frame} (an IPv4 frame with a 20-byte header; released) with {@code options} inserted after its header,
     * padded with end-of-list bytes to whole words; the header checksum is recomputed (transport checksums do not
     * cover options).
     */
    public static ByteBuf withOptions(ByteBuf frame, int... options) {
        int ip = Ethernet.HEADER_LEN;
        int padded = (options.length + 3) & ~3;
        int total = Ipv4.totalLength(frame, ip);
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(ip + total + padded);
        buf.writeBytes(frame, 0, ip + Ipv4.MIN_HEADER_LEN);
        for (int b : options) {
            buf.writeByte(b);
        }
        buf.writeZero(padded - options.length);
        buf.writeBytes(frame, ip + Ipv4.MIN_HEADER_LEN, total - Ipv4.MIN_HEADER_LEN);
        frame.release();
        buf.setByte(ip, 0x40 | (Ipv4.MIN_HEADER_LEN + padded) / 4);
        buf.setShort(ip + Ipv4.TOTAL_LENGTH, total + padded);
        Ipv4.updateChecksum(buf, ip);
        return buf;
    }

    /** An ICMP error from {@code from} to {@code to} quoting the whole IPv4 packet in frame {@code quoted}. */
    public static ByteBuf icmpError(long dstMac, long srcMac, int from, int to, int type, int code, ByteBuf quoted) {
        int ip = Ethernet.HEADER_LEN;
        int l4 = ip + Ipv4.MIN_HEADER_LEN;
        int quoteLength = Ipv4.totalLength(quoted, ip);
        byte[] quote = new byte[quoteLength];
        quoted.getBytes(ip, quote);
        ByteBuf f = icmpEcho(dstMac, srcMac, from, to, 0, 0, quote);
        f.setByte(l4 + Icmp4.TYPE, type);
        f.setByte(l4 + Icmp4.CODE, code);
        f.setInt(l4 + 4, 0);
        Icmp4.updateChecksum(f, l4, 8 + quoteLength);
        return f;
    }

    private static ByteBuf ipv4Frame(long dst, long src, int ipLength) {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(Ethernet.HEADER_LEN + ipLength);
        buf.writeZero(Ethernet.HEADER_LEN + ipLength);
        Ethernet.setDst(buf, 0, dst);
        Ethernet.setSrc(buf, 0, src);
        Ethernet.setType(buf, 0, Ethernet.TYPE_IPV4);
        return buf;
    }

    /**
     * {@code whole} (an unfragmented IPv4 frame, 20-byte header; released) cut in fragments of {@code step} payload
     * bytes (a multiple of 8), in order.
     */
    public static java.util.List<ByteBuf> fragments(ByteBuf whole, int step) {
        int ip = Ethernet.HEADER_LEN;
        int l4 = ip + Ipv4.MIN_HEADER_LEN;
        int payload = Ipv4.totalLength(whole, ip) - Ipv4.MIN_HEADER_LEN;
        java.util.List<ByteBuf> out = new java.util.ArrayList<>();
        for (int at = 0; at < payload; at += step) {
            int n = Math.min(step, payload - at);
            ByteBuf f = of(new byte[l4 + n]);
            f.setBytes(0, whole, 0, l4);
            f.setBytes(l4, whole, l4 + at, n);
            f.setShort(ip + Ipv4.TOTAL_LENGTH, Ipv4.MIN_HEADER_LEN + n);
            f.setShort(ip + Ipv4.FLAGS_FRAGMENT, (at + n < payload ? Ipv4.FLAG_MF : 0) | at / 8);
            Ipv4.updateChecksum(f, ip);
            out.add(f);
        }
        whole.release();
        return out;
    }
}
