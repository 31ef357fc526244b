package dev.vnet.dataplane.vxlan;

import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import io.netty.buffer.ByteBuf;

/**
 * A hash of an inner frame's flow, for the outer source port (RFC 7348 section 5): the IPv4 addresses, protocol and,
 * for an unfragmented TCP or UDP packet, the ports, as the kernel's flow dissector takes them; the MAC addresses for
 * anything else. Reads only bytes the frame has, so any frame (a runt too) hashes without throwing.
 */
final class FlowHash {
    private static final int TCP = 6;
    private static final int UDP = 17;

    private FlowHash() {
    }

    static int of(ByteBuf buf, int at, int length) {
        if (length < Ethernet.HEADER_LEN) {
            return 0;
        }
        int l3 = at + Ethernet.HEADER_LEN;
        if (Ethernet.type(buf, at) != Ethernet.TYPE_IPV4 || length < Ethernet.HEADER_LEN + Ipv4.MIN_HEADER_LEN) {
            return mix(Long.hashCode(Ethernet.dst(buf, at)) * 31 + Long.hashCode(Ethernet.src(buf, at)));
        }
        int protocol = buf.getUnsignedByte(l3 + Ipv4.PROTOCOL);
        int h = buf.getInt(l3 + Ipv4.SRC) * 31 + buf.getInt(l3 + Ipv4.DST);
        h = h * 31 + protocol;
        int ihl = (buf.getUnsignedByte(l3) & 0xF) * 4;
        boolean fragment = (buf.getUnsignedShort(l3 + Ipv4.FLAGS_FRAGMENT)
                & (Ipv4.FLAG_MF | Ipv4.FRAGMENT_OFFSET_MASK)) != 0;
        if ((protocol == TCP || protocol == UDP) && !fragment && ihl >= Ipv4.MIN_HEADER_LEN
                && length >= Ethernet.HEADER_LEN + ihl + 4) {
            h = h * 31 + buf.getInt(l3 + ihl); // both ports
        }
        return mix(h);
    }

    /** Spreads the bits (the finaliser of MurmurHash3), so a modulo of a small pool uses all of them. */
    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85EB_CA6B;
        h ^= h >>> 13;
        h *= 0xC2B2_AE35;
        h ^= h >>> 16;
        return h;
    }
}
