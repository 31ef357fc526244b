package dev.vnet.dataplane.wire;

import io.netty.buffer.ByteBuf;

/**
 * The rules by which consecutive TCPv4 segments of one flow join into one super-frame, as the kernel's GRO joins them
 * ({@code tcp_gro_receive}), and the super-frame built from them: the reverse of {@link SoftwareOffload#segment}.
 *
 * <p>A segment can take part when it is a plain Ethernet frame (no VLAN tag) with an IPv4 header without options,
 * not a fragment, exactly as long as its IP total length says, carrying TCP with ACK set and none of SYN, FIN, RST,
 * URG, ECE or CWR, with payload, and with correct IP and TCP checksums (a corrupt segment is left alone, for the
 * receiver to drop; joined, its checksum would be trusted). A segment joins the one before it when both have the same
 * Ethernet addresses, IP TOS, TTL and addresses, ports, acknowledgement number, window, header length and options,
 * its sequence number continues the previous one's payload, the previous one carried exactly the run's MSS (the
 * first segment's payload) and no PSH, it carries at most the MSS, and the IP packet stays within 64 KiB.
 */
public final class TcpCoalescing {
    private static final int IP = Ethernet.HEADER_LEN;
    private static final int TCP = IP + Ipv4.MIN_HEADER_LEN;
    private static final int REFUSED_FLAGS = Tcp.SYN | Tcp.FIN | Tcp.RST | 0x20 | 0x40 | Tcp.CWR; // URG, ECE
    private static final int MAX_IP_PACKET = 65535;

    private TcpCoalescing() {
    }

    /** The TCP payload length of the frame at {@code buf[at, at+length)} if it can take part, else -1. */
    public static int payload(ByteBuf buf, int at, int length) {
        if (length < TCP + Tcp.MIN_HEADER_LEN || buf.getUnsignedShort(at + Ethernet.TYPE) != Ethernet.TYPE_IPV4
                || buf.getUnsignedByte(at + IP) != 0x45
                || (Ipv4.flagsFragment(buf, at + IP) & (Ipv4.FLAG_MF | Ipv4.FRAGMENT_OFFSET_MASK)) != 0
                || Ipv4.protocol(buf, at + IP) != Ipv4.PROTO_TCP
                || Ipv4.totalLength(buf, at + IP) != length - IP) {
            return -1;
        }
        int tcpLen = Tcp.headerLength(buf, at + TCP);
        int flags = Tcp.flags(buf, at + TCP);
        int payload = length - TCP - tcpLen;
        if (tcpLen < Tcp.MIN_HEADER_LEN || payload <= 0 || (flags & Tcp.ACK_FLAG) == 0
                || (flags & REFUSED_FLAGS) != 0 || !Checksum.verify(buf, at + IP, Ipv4.MIN_HEADER_LEN)) {
            return -1;
        }
        int pseudo = Checksum.pseudoHeader(Ipv4.src(buf, at + IP), Ipv4.dst(buf, at + IP), Ipv4.PROTO_TCP,
                length - TCP);
        return Checksum.fold(Checksum.add(buf, at + TCP, length - TCP, pseudo)) == 0xFFFF ? payload : -1;
    }

    /**
     * True when the segment at {@code buf[at]} (payload {@code payload}, from {@link #payload}) continues the run whose
     * first segment is at {@code first} and whose last one so far is at {@code prev} (payload {@code prevPayload}),
     * the run carrying {@code runPayload} bytes at an MSS of {@code mss}.
     */
    public static boolean continues(ByteBuf buf, int first, int prev, int prevPayload, int at, int payload, int mss,
                                    int runPayload) {
        int tcpLen = Tcp.headerLength(buf, at + TCP);
        return prevPayload == mss && payload <= mss
                && (Tcp.flags(buf, prev + TCP) & Tcp.PSH) == 0
                && Ipv4.MIN_HEADER_LEN + tcpLen + runPayload + payload <= MAX_IP_PACKET
                && tcpLen == Tcp.headerLength(buf, first + TCP)
                && buf.getUnsignedInt(at + TCP + Tcp.SEQ) == ((buf.getUnsignedInt(prev + TCP + Tcp.SEQ) + prevPayload)
                & 0xFFFF_FFFFL)
                && same(buf, first, at, 0, 2 * MacAddr.LENGTH) // Ethernet addresses
                && buf.getByte(first + IP + Ipv4.TOS) == buf.getByte(at + IP + Ipv4.TOS)
                && buf.getByte(first + IP + Ipv4.TTL) == buf.getByte(at + IP + Ipv4.TTL)
                && same(buf, first, at, IP + Ipv4.SRC, 8) // addresses
                && same(buf, first, at, TCP, 4) // ports
                && same(buf, first, at, TCP + Tcp.ACK, 4)
                && same(buf, first, at, TCP + Tcp.WINDOW, 2)
                && same(buf, first, at, TCP + Tcp.MIN_HEADER_LEN, tcpLen - Tcp.MIN_HEADER_LEN); // options
    }

    private static boolean same(ByteBuf buf, int a, int b, int offset, int length) {
        int i = 0;
        for (; i + 4 <= length; i += 4) {
            if (buf.getInt(a + offset + i) != buf.getInt(b + offset + i)) {
                return false;
            }
        }
        for (; i < length; i++) {
            if (buf.getByte(a + offset + i) != buf.getByte(b + offset + i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Builds in {@code out} the super-frame of the segments at {@code starts[i]} with payloads {@code payloads[i]} in
     * {@code buf}, {@code i} from {@code from} up to {@code to} (a run {@link #continues} accepted): the first
     * segment's headers, PSH if the last had it, the IP total length and header checksum of the whole, and the TCP
     * checksum field holding the pseudo-header sum as a partial checksum. Returns the frame's offload state: a TCPv4
     * super-frame of segments of the first payload's size, checksum partial.
     */
    public static long build(ByteBuf buf, int[] starts, int[] payloads, int from, int to, ByteBuf out) {
        int first = starts[from];
        int tcpLen = Tcp.headerLength(buf, first + TCP);
        int headers = TCP + tcpLen;
        int base = out.writerIndex();
        out.writeBytes(buf, first, headers);
        int total = 0;
        for (int i = from; i < to; i++) {
            out.writeBytes(buf, starts[i] + headers, payloads[i]);
            total += payloads[i];
        }
        int lastFlags = Tcp.flags(buf, starts[to - 1] + TCP);
        out.setByte(base + TCP + Tcp.FLAGS, Tcp.flags(out, base + TCP) | (lastFlags & Tcp.PSH));
        out.setShort(base + IP + Ipv4.TOTAL_LENGTH, Ipv4.MIN_HEADER_LEN + tcpLen + total);
        Ipv4.updateChecksum(out, base + IP);
        out.setShort(base + TCP + Tcp.CHECKSUM, Checksum.pseudoHeader(Ipv4.src(out, base + IP),
                Ipv4.dst(out, base + IP), Ipv4.PROTO_TCP, tcpLen + total));
        return Offload.of(Offload.NEEDS_CSUM, Offload.GSO_TCPV4, headers, payloads[from], TCP, Tcp.CHECKSUM);
    }
}
