package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import io.netty.buffer.ByteBuf;

import java.util.function.IntFunction;

/**
 * Builds ICMP error messages (RFC 792; RFC 1812 section 4.3.2) quoting the offending datagram, and says when none may
 * be sent (RFC 1812 section 4.3.2.7): not about an ICMP error, a non-first fragment, a packet to a broadcast or
 * multicast address, or one whose source is not a unicast host.
 */
final class IcmpErrors {
    /** How much of the offending datagram is quoted: the error stays within 576 bytes, as the kernel does. */
    static final int MAX_QUOTE = 576 - Ipv4.MIN_HEADER_LEN - Icmp4.HEADER_LEN;

    private IcmpErrors() {
    }

    /** True when an error may be sent about the packet at {@code ip} that arrived in a link broadcast or not. */
    static boolean allowed(ByteBuf buf, int ip, boolean linkBroadcast) {
        if (linkBroadcast || !Ipv4.hasTransportHeader(buf, ip)) {
            return false;
        }
        int src = Ipv4.src(buf, ip);
        int dst = Ipv4.dst(buf, ip);
        if (!isUnicastHost(src) || isGroup(dst) || dst == -1) {
            return false;
        }
        if (Ipv4.protocol(buf, ip) == Ipv4.PROTO_ICMP) {
            int icmp = ip + Ipv4.headerLength(buf, ip);
            int available = Ipv4.totalLength(buf, ip) - Ipv4.headerLength(buf, ip);
            return available >= 1 && !Icmp4.isError(buf.getUnsignedByte(icmp));
        }
        return true;
    }

    private static boolean isUnicastHost(int addr) {
        int first = addr >>> 24;
        return addr != 0 && addr != -1 && first != 127 && first < 224;
    }

    private static boolean isGroup(int addr) {
        return (addr >>> 28) == 0xE;
    }

    /**
     * An error frame (Ethernet header left for the output path to fill) from {@code src} to the offending packet's
     * source, quoting its header and the start of its data.
     *
     * @param restOfHeader the ICMP header's second word: 0, or the next-hop MTU for fragmentation needed
     */
    static ByteBuf build(IntFunction<ByteBuf> allocate, ByteBuf orig, int ip, int type, int code, int restOfHeader,
                         int src, int id) {
        int quote = Math.min(Ipv4.totalLength(orig, ip), MAX_QUOTE);
        int total = Ipv4.MIN_HEADER_LEN + Icmp4.HEADER_LEN + quote;
        ByteBuf out = allocate.apply(Ethernet.HEADER_LEN + total);
        out.writeZero(Ethernet.HEADER_LEN + total);
        Ethernet.setType(out, 0, Ethernet.TYPE_IPV4);
        int oip = Ethernet.HEADER_LEN;
        Ipv4.write(out, oip, total, id, 0, 64, Ipv4.PROTO_ICMP, src, Ipv4.src(orig, ip));
        int icmp = oip + Ipv4.MIN_HEADER_LEN;
        out.setByte(icmp + Icmp4.TYPE, type);
        out.setByte(icmp + Icmp4.CODE, code);
        out.setInt(icmp + 4, restOfHeader);
        out.setBytes(icmp + Icmp4.HEADER_LEN, orig, ip, quote);
        Icmp4.updateChecksum(out, icmp, Icmp4.HEADER_LEN + quote);
        return out;
    }
}
