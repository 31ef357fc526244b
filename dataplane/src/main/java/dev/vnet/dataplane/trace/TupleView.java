package dev.vnet.dataplane.trace;

import dev.vnet.dataplane.wire.Ipv4Addr;
import io.netty.buffer.ByteBuf;

/** The addresses and ports of an IPv4 frame as one string, so a trace can show what NAT rewrote. */
public final class TupleView {
    private TupleView() {
    }

    /** "src:port > dst:port" (ports for TCP and UDP, the id for ICMP echo), or null when not IPv4. */
    public static String of(ByteBuf buf) {
        int at = buf.readerIndex();
        if (buf.readableBytes() < 34 || buf.getUnsignedShort(at + 12) != 0x0800) {
            return null;
        }
        int ip = at + 14;
        int ihl = (buf.getByte(ip) & 0x0f) * 4;
        int proto = buf.getUnsignedByte(ip + 9);
        String src = Ipv4Addr.toString(buf.getInt(ip + 12));
        String dst = Ipv4Addr.toString(buf.getInt(ip + 16));
        int l4 = ip + ihl;
        boolean first = (buf.getUnsignedShort(ip + 6) & 0x1fff) == 0;
        if (first && (proto == 6 || proto == 17) && buf.readableBytes() >= l4 - at + 4) {
            return src + ":" + buf.getUnsignedShort(l4) + " > " + dst + ":" + buf.getUnsignedShort(l4 + 2);
        }
        if (first && proto == 1 && buf.readableBytes() >= l4 - at + 8) {
            return src + " > " + dst + " icmp id " + buf.getUnsignedShort(l4 + 4);
        }
        return src + " > " + dst;
    }
}
