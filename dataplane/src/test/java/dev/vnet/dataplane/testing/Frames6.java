package dev.vnet.dataplane.testing;

import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ndp;
import io.netty.buffer.ByteBuf;

/** IPv6 test frames with correct checksums, as {@link FrameBuilder} builds IPv4 ones. */
public final class Frames6 {
    private static final int IP = Ethernet.HEADER_LEN;
    private static final int ICMP = IP + Ipv6.HEADER_LEN;

    private Frames6() {
    }

    /** An IPv6 frame carrying {@code payload} as it is after a header of next header {@code nextHeader}. */
    public static ByteBuf ipv6(long dstMac, long srcMac, Ipv6Address src, Ipv6Address dst, int nextHeader,
                               int hopLimit, byte[] payload) {
        ByteBuf buf = FrameBuilder.of(new byte[ICMP + payload.length]);
        Ethernet.setDst(buf, 0, dstMac);
        Ethernet.setSrc(buf, 0, srcMac);
        Ethernet.setType(buf, 0, Ethernet.TYPE_IPV6);
        buf.setInt(IP + Ipv6.VERSION_CLASS_FLOW, 6 << 28);
        buf.setShort(IP + Ipv6.PAYLOAD_LENGTH, payload.length);
        buf.setByte(IP + Ipv6.NEXT_HEADER, nextHeader);
        buf.setByte(IP + Ipv6.HOP_LIMIT, hopLimit);
        buf.setLong(IP + Ipv6.SRC, src.hi());
        buf.setLong(IP + Ipv6.SRC + 8, src.lo());
        buf.setLong(IP + Ipv6.DST, dst.hi());
        buf.setLong(IP + Ipv6.DST + 8, dst.lo());
        buf.setBytes(ICMP, payload);
        return buf;
    }

    /** A UDP datagram over IPv6 with a correct checksum. */
    public static ByteBuf udp(long dstMac, long srcMac, Ipv6Address src, Ipv6Address dst, int srcPort, int dstPort,
                              byte[] data) {
        byte[] u = new byte[8 + data.length];
        u[0] = (byte) (srcPort >>> 8);
        u[1] = (byte) srcPort;
        u[2] = (byte) (dstPort >>> 8);
        u[3] = (byte) dstPort;
        u[4] = (byte) (u.length >>> 8);
        u[5] = (byte) u.length;
        System.arraycopy(data, 0, u, 8, data.length);
        ByteBuf buf = ipv6(dstMac, srcMac, src, dst, Ipv6.NH_UDP, 64, u);
        int sum = dev.vnet.dataplane.wire.Checksum.add(buf, ICMP, u.length,
                Ipv6.pseudoHeader(buf, IP, Ipv6.NH_UDP, u.length));
        buf.setShort(ICMP + 6, dev.vnet.dataplane.wire.Checksum.finish(sum));
        return buf;
    }

    /** A TCP segment over IPv6 with {@code flags} and {@code data}, a 20-byte header and a correct checksum. */
    public static ByteBuf tcp(long dstMac, long srcMac, Ipv6Address src, Ipv6Address dst, int srcPort, int dstPort,
                              int flags, byte[] data) {
        byte[] t = new byte[20 + data.length];
        t[0] = (byte) (srcPort >>> 8);
        t[1] = (byte) srcPort;
        t[2] = (byte) (dstPort >>> 8);
        t[3] = (byte) dstPort;
        t[7] = 1; // sequence number 1
        t[12] = 5 << 4;
        t[13] = (byte) flags;
        t[14] = (byte) 0xFF; // window
        System.arraycopy(data, 0, t, 20, data.length);
        ByteBuf buf = ipv6(dstMac, srcMac, src, dst, Ipv6.NH_TCP, 64, t);
        int sum = dev.vnet.dataplane.wire.Checksum.add(buf, ICMP, t.length,
                Ipv6.pseudoHeader(buf, IP, Ipv6.NH_TCP, t.length));
        buf.setShort(ICMP + 16, dev.vnet.dataplane.wire.Checksum.finish(sum));
        return buf;
    }

    /**
     * True when the upper-layer checksum of the packet at {@code ip} (TCP, UDP or ICMPv6 right after the fixed header)
     * verifies over the IPv6 pseudo-header.
     */
    public static boolean checksumOk(ByteBuf buf, int ip) {
        int length = Ipv6.payloadLength(buf, ip);
        int sum = dev.vnet.dataplane.wire.Checksum.add(buf, ip + Ipv6.HEADER_LEN, length,
                Ipv6.pseudoHeader(buf, ip, Ipv6.nextHeader(buf, ip), length));
        return dev.vnet.dataplane.wire.Checksum.finish(sum) == 0;
    }

    /** An IPv6 frame carrying ICMPv6 {@code message} (its checksum filled in here), hop limit {@code hopLimit}. */
    public static ByteBuf icmp6(long dstMac, long srcMac, Ipv6Address src, Ipv6Address dst, int hopLimit,
                                byte[] message) {
        ByteBuf buf = ipv6(dstMac, srcMac, src, dst, Ipv6.NH_ICMPV6, hopLimit, message);
        Icmp6.updateChecksum(buf, IP, ICMP, message.length);
        return buf;
    }

    /** An echo request from {@code src} to {@code dst} with identifier, sequence and {@code data}. */
    public static ByteBuf echoRequest(long dstMac, long srcMac, Ipv6Address src, Ipv6Address dst, int id, int seq,
                                      byte[] data) {
        byte[] m = new byte[Icmp6.HEADER_LEN + data.length];
        m[0] = (byte) Icmp6.TYPE_ECHO_REQUEST;
        m[4] = (byte) (id >>> 8);
        m[5] = (byte) id;
        m[6] = (byte) (seq >>> 8);
        m[7] = (byte) seq;
        System.arraycopy(data, 0, m, Icmp6.HEADER_LEN, data.length);
        return icmp6(dstMac, srcMac, src, dst, 64, m);
    }

    /**
     * A neighbour solicitation for {@code target} from {@code src} (:: for duplicate address detection, then without
     * a source link-layer address option) to the target's solicited-node group, hop limit 255.
     */
    public static ByteBuf neighborSolicitation(long srcMac, Ipv6Address src, Ipv6Address target) {
        boolean dad = src.hi() == 0 && src.lo() == 0;
        byte[] m = new byte[24 + (dad ? 0 : 8)];
        m[0] = (byte) Icmp6.TYPE_NEIGHBOR_SOLICITATION;
        put(m, Ndp.TARGET, target);
        if (!dad) {
            m[24] = (byte) Ndp.OPT_SOURCE_LINK_ADDRESS;
            m[25] = 1;
            for (int i = 0; i < 6; i++) {
                m[26 + i] = (byte) (srcMac >>> (40 - 8 * i));
            }
        }
        Ipv6Address group = new Ipv6Address(0xFF02_0000_0000_0000L, Ndp.solicitedNodeLo(target.lo()));
        long groupMac = 0x3333_0000_0000L | (group.lo() & 0xFFFF_FFFFL);
        return icmp6(groupMac, srcMac, src, group, Ndp.HOP_LIMIT, m);
    }

    /**
     * A solicited neighbour advertisement for {@code target} at {@code srcMac} (solicited and override flags, a target
     * link-layer address option), from {@code target} to {@code dst} at {@code dstMac}, hop limit 255.
     */
    public static ByteBuf neighborAdvertisement(long dstMac, long srcMac, Ipv6Address target, Ipv6Address dst) {
        byte[] m = new byte[24 + 8];
        m[0] = (byte) Icmp6.TYPE_NEIGHBOR_ADVERTISEMENT;
        m[Ndp.NA_FLAGS] = (byte) (Ndp.NA_SOLICITED | Ndp.NA_OVERRIDE);
        put(m, Ndp.TARGET, target);
        m[24] = (byte) Ndp.OPT_TARGET_LINK_ADDRESS;
        m[25] = 1;
        for (int i = 0; i < 6; i++) {
            m[26 + i] = (byte) (srcMac >>> (40 - 8 * i));
        }
        return icmp6(dstMac, srcMac, target, dst, Ndp.HOP_LIMIT, m);
    }

    private static void put(byte[] m, int at, Ipv6Address a) {
        for (int i = 0; i < 8; i++) {
            m[at + i] = (byte) (a.hi() >>> (56 - 8 * i));
            m[at + 8 + i] = (byte) (a.lo() >>> (56 - 8 * i));
        }
    }
}
