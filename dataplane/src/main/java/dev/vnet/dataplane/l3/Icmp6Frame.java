package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv6;
import io.netty.buffer.ByteBuf;

import java.util.function.IntFunction;

/**
 * The frame every ICMPv6 message the router sends starts as (an advertisement, an echo reply, an error): Ethernet
 * and IPv6 headers written, the message's {@code length} bytes after them left for the caller, who then computes the
 * checksum ({@link dev.vnet.dataplane.wire.Icmp6#updateChecksum}).
 */
final class Icmp6Frame {
    /** Where the ICMPv6 message starts in the frame. */
    static final int ICMP = Ethernet.HEADER_LEN + Ipv6.HEADER_LEN;

    private Icmp6Frame() {
    }

    /** A frame from {@code srcMac} to {@code dstMac} carrying {@code length} bytes of ICMPv6 from src to dst. */
    static ByteBuf allocate(IntFunction<ByteBuf> alloc, long dstMac, long srcMac, int length, int hopLimit,
                            long srcHi, long srcLo, long dstHi, long dstLo) {
        int total = ICMP + length;
        ByteBuf f = alloc.apply(total);
        f.writerIndex(total);
        Ethernet.setAddresses(f, 0, dstMac, srcMac);
        Ethernet.setType(f, 0, Ethernet.TYPE_IPV6);
        Ipv6.write(f, Ethernet.HEADER_LEN, length, Ipv6.NH_ICMPV6, hopLimit, srcHi, srcLo, dstHi, dstLo);
        return f;
    }
}
