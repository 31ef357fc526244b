package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;

/**
 * IPv4 header view (RFC 791 section 3.1).
 *
 * <p>{@link #check} validates version, IHL, total length against the bytes present, and the header checksum;
 * after it passes, the header (options included) and {@code totalLength} bytes lie within the frame.
 * Setters that change checksummed fields keep the header checksum right incrementally (RFC 1624).
 */
public final class Ipv4 {
    /** Offset of version (high nibble) and IHL (low nibble, in 32-bit words). */
    public static final int VERSION_IHL = 0;
    /** Offset of DSCP/ECN. */
    public static final int TOS = 1;
    /** Offset of total length (header and data, bytes). */
    public static final int TOTAL_LENGTH = 2;
    /** Offset of the identification. */
    public static final int ID = 4;
    /** Offset of flags (3 bits) and fragment offset (13 bits, 8-byte units). */
    public static final int FLAGS_FRAGMENT = 6;
    /** Offset of time to live. */
    public static final int TTL = 8;
    /** Offset of the protocol number. */
    public static final int PROTOCOL = 9;
    /** Offset of the header checksum. */
    public static final int CHECKSUM = 10;
    /** Offset of the source address. */
    public static final int SRC = 12;
    /** Offset of the destination address. */
    public static final int DST = 16;
    /** Length of a header without options. */
    public static final int MIN_HEADER_LEN = 20;

    /** Don't Fragment flag in the flags/fragment word. */
    public static final int FLAG_DF = 0x4000;
    /** More Fragments flag in the flags/fragment word. */
    public static final int FLAG_MF = 0x2000;
    /** Mask of the fragment offset in the flags/fragment word. */
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    /** Protocol ICMP. */
    public static final int PROTO_ICMP = 1;
    /** Protocol TCP. */
    public static final int PROTO_TCP = 6;
    /** Protocol UDP. */
    public static final int PROTO_UDP = 17;

    private Ipv4() {
    }

    /** Validates the header at {@code ip} with {@code available} bytes after it; null when sound. */
    public static DropReason check(ByteBuf buf, int ip, int available) {
        if (available < MIN_HEADER_LEN) {
            return DropReason.IPV4_TRUNCATED;
        }
        int versionIhl = buf.getUnsignedByte(ip + VERSION_IHL);
        if ((versionIhl >>> 4) != 4) {
            return DropReason.IPV4_BAD_VERSION;
        }
        int headerLength = (versionIhl & 0x0F) * 4;
        if (headerLength < MIN_HEADER_LEN || headerLength > available) {
            return DropReason.IPV4_BAD_IHL;
        }
        int total = buf.getUnsignedShort(ip + TOTAL_LENGTH);
        if (total < headerLength || total > available) {
            return DropReason.IPV4_BAD_LENGTH;
        }
        if (!Checksum.verify(buf, ip, headerLength)) {
            return DropReason.IPV4_BAD_CHECKSUM;
        }
        return null;
    }

    /** Header length in bytes (IHL * 4). */
    public static int headerLength(ByteBuf buf, int ip) {
        return (buf.getUnsignedByte(ip + VERSION_IHL) & 0x0F) * 4;
    }

    /** Total length in bytes. */
    public static int totalLength(ByteBuf buf, int ip) {
        return buf.getUnsignedShort(ip + TOTAL_LENGTH);
    }

    /** Time to live. */
    public static int ttl(ByteBuf buf, int ip) {
        return buf.getUnsignedByte(ip + TTL);
    }

    /** Protocol number. */
    public static int protocol(ByteBuf buf, int ip) {
        return buf.getUnsignedByte(ip + PROTOCOL);
    }

    /** Source address. */
    public static int src(ByteBuf buf, int ip) {
        return buf.getInt(ip + SRC);
    }

    /** Destination address. */
    public static int dst(ByteBuf buf, int ip) {
        return buf.getInt(ip + DST);
    }

    /** Identification (shared by the fragments of one datagram). */
    public static int id(ByteBuf buf, int ip) {
        return buf.getUnsignedShort(ip + ID);
    }

    /** The flags/fragment-offset word. */
    public static int flagsFragment(ByteBuf buf, int ip) {
        return buf.getUnsignedShort(ip + FLAGS_FRAGMENT);
    }

    /** True when DF is set. */
    public static boolean dontFragment(ByteBuf buf, int ip) {
        return (flagsFragment(buf, ip) & FLAG_DF) != 0;
    }

    /** True for any fragment: MF set or a non-zero offset. */
    public static boolean isFragment(ByteBuf buf, int ip) {
        return (flagsFragment(buf, ip) & (FLAG_MF | FRAGMENT_OFFSET_MASK)) != 0;
    }

    /** True when this packet carries the transport header: not a fragment, or the first one. */
    public static boolean hasTransportHeader(ByteBuf buf, int ip) {
        return (flagsFragment(buf, ip) & FRAGMENT_OFFSET_MASK) == 0;
    }

    /** Decrements TTL by one and updates the header checksum; returns the new TTL. Caller checks TTL &gt; 1 first. */
    public static int decrementTtl(ByteBuf buf, int ip) {
        int word = buf.getInt(ip + TTL); // TTL, protocol and header checksum: one read and one write, not four
        int oldTtlProtocol = word >>> 16;
        int newTtlProtocol = oldTtlProtocol - 0x0100;
        buf.setInt(ip + TTL, newTtlProtocol << 16 | Checksum.update16(word & 0xFFFF, oldTtlProtocol, newTtlProtocol));
        return newTtlProtocol >>> 8;
    }

    /** Recomputes the header checksum from scratch (for headers built here). */
    public static void updateChecksum(ByteBuf buf, int ip) {
        buf.setShort(ip + CHECKSUM, 0);
        buf.setShort(ip + CHECKSUM, Checksum.compute(buf, ip, headerLength(buf, ip)));
    }

    /**
     * Writes a 20-byte header without options at {@code ip} and computes its checksum.
     *
     * @param flagsFragment the flags/fragment word, e.g. {@link #FLAG_DF}
     */
    public static void write(ByteBuf buf, int ip, int totalLength, int id, int flagsFragment, int ttl, int protocol,
                             int src, int dst) {
        buf.setByte(ip + VERSION_IHL, 0x45);
        buf.setByte(ip + TOS, 0);
        buf.setShort(ip + TOTAL_LENGTH, totalLength);
        buf.setShort(ip + ID, id);
        buf.setShort(ip + FLAGS_FRAGMENT, flagsFragment);
        buf.setByte(ip + TTL, ttl);
        buf.setByte(ip + PROTOCOL, protocol);
        buf.setInt(ip + SRC, src);
        buf.setInt(ip + DST, dst);
        updateChecksum(buf, ip);
    }
}
