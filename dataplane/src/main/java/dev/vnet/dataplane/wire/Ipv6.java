package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;

/**
 * IPv6 header view (RFC 8200 section 3) and its extension-header chain (section 4).
 *
 * <p>{@link #check} validates the version and the payload length against the bytes present; after it passes, the
 * 40-byte header and {@code payloadLength} bytes lie within the frame. {@link #walk} then follows the extension
 * headers to the upper-layer header, as the kernel's {@code ipv6_skip_exthdr} and {@code ip6_input} do, with a bound
 * on their number, and refuses what RFC 8200 and RFC 5095 make a receiver refuse. Addresses are read as two
 * {@code long}s (high and low 64 bits), so nothing is allocated per packet.
 */
public final class Ipv6 {
    /** Offset of version (4 bits), traffic class (8) and flow label (20). */
    public static final int VERSION_CLASS_FLOW = 0;
    /** Offset of the payload length (everything after the 40-byte header, extension headers included). */
    public static final int PAYLOAD_LENGTH = 4;
    /** Offset of the next header. */
    public static final int NEXT_HEADER = 6;
    /** Offset of the hop limit. */
    public static final int HOP_LIMIT = 7;
    /** Offset of the source address. */
    public static final int SRC = 8;
    /** Offset of the destination address. */
    public static final int DST = 24;
    /** Length of the fixed header. */
    public static final int HEADER_LEN = 40;
    /** The minimum link MTU every IPv6 link has (RFC 8200 section 5). */
    public static final int MIN_MTU = 1280;

    /** Hop-by-hop options: only right after the fixed header. */
    public static final int NH_HOP_BY_HOP = 0;
    /** TCP. */
    public static final int NH_TCP = 6;
    /** UDP. */
    public static final int NH_UDP = 17;
    /** Routing header. */
    public static final int NH_ROUTING = 43;
    /** Fragment header. */
    public static final int NH_FRAGMENT = 44;
    /** ESP: the rest is encrypted, the walk ends there. */
    public static final int NH_ESP = 50;
    /** Authentication header (its length counts 4-byte units, RFC 4302). */
    public static final int NH_AUTH = 51;
    /** ICMPv6. */
    public static final int NH_ICMPV6 = 58;
    /** No next header. */
    public static final int NH_NONE = 59;
    /** Destination options. */
    public static final int NH_DEST_OPTS = 60;

    /**
     * Most extension headers a walk follows. RFC 8200 allows each at most once (destination options twice), so a
     * sound packet has at most 7; a longer chain is a packet crafted to make every router walk it.
     */
    public static final int MAX_EXTENSION_HEADERS = 8;

    private static final int FRAGMENT_HEADER_LEN = 8;
    private static final int ROUTING_TYPE = 2;
    private static final int ROUTING_SEGMENTS_LEFT = 3;
    private static final int FRAGMENT_OFFSET_FLAGS = 2;

    private Ipv6() {
    }

    /** Validates the header at {@code ip} with {@code available} bytes after it; null when sound. */
    public static DropReason check(ByteBuf buf, int ip, int available) {
        if (available < HEADER_LEN) {
            return DropReason.IPV6_TRUNCATED;
        }
        if ((buf.getUnsignedByte(ip + VERSION_CLASS_FLOW) >>> 4) != 6) {
            return DropReason.IPV6_BAD_VERSION;
        }
        if (HEADER_LEN + payloadLength(buf, ip) > available) {
            return DropReason.IPV6_BAD_LENGTH;
        }
        return null;
    }

    /** Payload length in bytes. */
    public static int payloadLength(ByteBuf buf, int ip) {
        return buf.getUnsignedShort(ip + PAYLOAD_LENGTH);
    }

    /** The next header after the fixed one. */
    public static int nextHeader(ByteBuf buf, int ip) {
        return buf.getUnsignedByte(ip + NEXT_HEADER);
    }

    /** Hop limit. */
    public static int hopLimit(ByteBuf buf, int ip) {
        return buf.getUnsignedByte(ip + HOP_LIMIT);
    }

    /** Takes one from the hop limit of a packet being forwarded (IPv6 has no header checksum to update). */
    public static void decrementHopLimit(ByteBuf buf, int ip) {
        buf.setByte(ip + HOP_LIMIT, buf.getUnsignedByte(ip + HOP_LIMIT) - 1);
    }

    /** Traffic class. */
    public static int trafficClass(ByteBuf buf, int ip) {
        return (buf.getUnsignedShort(ip + VERSION_CLASS_FLOW) >>> 4) & 0xFF;
    }

    /** The high 64 bits of the source address. */
    public static long srcHi(ByteBuf buf, int ip) {
        return buf.getLong(ip + SRC);
    }

    /** The low 64 bits of the source address. */
    public static long srcLo(ByteBuf buf, int ip) {
        return buf.getLong(ip + SRC + 8);
    }

    /** The high 64 bits of the destination address. */
    public static long dstHi(ByteBuf buf, int ip) {
        return buf.getLong(ip + DST);
    }

    /** The low 64 bits of the destination address. */
    public static long dstLo(ByteBuf buf, int ip) {
        return buf.getLong(ip + DST + 8);
    }

    /**
     * Writes a fixed header at {@code ip}: version 6, traffic class and flow label 0, {@code payloadLength},
     * {@code nextHeader}, {@code hopLimit} and the two addresses.
     */
    public static void write(ByteBuf buf, int ip, int payloadLength, int nextHeader, int hopLimit, long srcHi,
                             long srcLo, long dstHi, long dstLo) {
        buf.setInt(ip + VERSION_CLASS_FLOW, 6 << 28);
        buf.setShort(ip + PAYLOAD_LENGTH, payloadLength);
        buf.setByte(ip + NEXT_HEADER, nextHeader);
        buf.setByte(ip + HOP_LIMIT, hopLimit);
        buf.setLong(ip + SRC, srcHi);
        buf.setLong(ip + SRC + 8, srcLo);
        buf.setLong(ip + DST, dstHi);
        buf.setLong(ip + DST + 8, dstLo);
    }

    /** True for an address in ff00::/8, given its high 64 bits. */
    public static boolean isMulticast(long hi) {
        return (hi >>> 56) == 0xFF;
    }

    /** True for an address in fe80::/10, given its high 64 bits. */
    public static boolean isLinkLocal(long hi) {
        return (hi >>> 54) == (0xFE80L >>> 6);
    }

    /** True for the unspecified address (::). */
    public static boolean isUnspecified(long hi, long lo) {
        return hi == 0 && lo == 0;
    }

    /** True for the loopback address (::1). */
    public static boolean isLoopback(long hi, long lo) {
        return hi == 0 && lo == 1;
    }

    /** The sum of the TCP/UDP/ICMPv6 pseudo-header (RFC 8200 section 8.1) for {@code length} upper-layer bytes. */
    public static int pseudoHeader(ByteBuf buf, int ip, int nextHeader, int length) {
        return Checksum.fold(Checksum.add(buf, ip + SRC, 32, 0) + (length >>> 16) + (length & 0xFFFF) + nextHeader);
    }

    // The result of walk(): an upper-layer header, or why the packet is refused.
    private static final long RESULT_REFUSED = 1L << 63;

    /**
     * Follows the extension headers of the packet at {@code ip} (which passed {@link #check}) to the upper-layer
     * header. Returns a packed result, read with {@link #refused}, {@link #reason}, {@link #upperProtocol},
     * {@link #upperOffset}, {@link #isFragment} and {@link #problemPointer}: the upper-layer protocol and where its
     * header starts (the protocol is {@link #NH_NONE} or {@link #NH_ESP} when nothing readable follows), or the
     * reason the packet is refused and, for an ICMPv6 parameter problem, the offset of the offending byte from
     * {@code ip} (inside the packet; for a header cut short, where it starts, which may be the packet's end).
     * Refused: a header cut short ({@code ipv6-truncated}), hop-by-hop options anywhere but first
     * ({@code ipv6-bad-extension}, RFC 8200 section 4.1), a type 0 routing header with segments left
     * ({@code ipv6-routing-type-0}, RFC 5095; with none left it is skipped), a routing header of another unknown type
     * with segments left ({@code ipv6-bad-extension}, RFC 8200 section 4.4), more than
     * {@link #MAX_EXTENSION_HEADERS} extension headers ({@code ipv6-extension-chain-too-long}).
     */
    public static long walk(ByteBuf buf, int ip) {
        int end = ip + HEADER_LEN + payloadLength(buf, ip);
        int next = nextHeader(buf, ip);
        int at = ip + HEADER_LEN;
        int field = ip + NEXT_HEADER;
        boolean fragment = false;
        for (int n = 0; ; n++) {
            switch (next) {
                case NH_HOP_BY_HOP, NH_ROUTING, NH_FRAGMENT, NH_DEST_OPTS, NH_AUTH -> {
                    if (next == NH_HOP_BY_HOP && n > 0) {
                        return refusal(DropReason.IPV6_BAD_EXTENSION, field - ip);
                    }
                    if (at + 2 > end) {
                        return refusal(DropReason.IPV6_TRUNCATED, at - ip);
                    }
                    if (n == MAX_EXTENSION_HEADERS) {
                        return refusal(DropReason.IPV6_EXTENSION_CHAIN_TOO_LONG, at - ip);
                    }
                    int length = next == NH_FRAGMENT ? FRAGMENT_HEADER_LEN
                            : next == NH_AUTH ? (buf.getUnsignedByte(at + 1) + 2) * 4
                            : (buf.getUnsignedByte(at + 1) + 1) * 8;
                    if (at + length > end) {
                        return refusal(DropReason.IPV6_TRUNCATED, at - ip);
                    }
                    if (next == NH_ROUTING && buf.getUnsignedByte(at + ROUTING_SEGMENTS_LEFT) != 0) {
                        // Types vnet acts on as a router: none. With segments left, the kernel drops type 0 (RFC
                        // 5095) and answers any type it does not know with a parameter problem at the type field.
                        return refusal(buf.getUnsignedByte(at + ROUTING_TYPE) == 0 ? DropReason.IPV6_ROUTING_TYPE_0
                                : DropReason.IPV6_BAD_EXTENSION, at + ROUTING_TYPE - ip);
                    }
                    if (next == NH_FRAGMENT) {
                        fragment = true;
                    }
                    field = at;
                    next = buf.getUnsignedByte(at);
                    at += length;
                }
                default -> {
                    return ((long) next << 32) | (fragment ? 1L << 40 : 0) | (at - ip);
                }
            }
        }
    }

    private static long refusal(DropReason reason, int pointer) {
        return RESULT_REFUSED | ((long) reason.ordinal() << 32) | pointer;
    }

    /** True when {@code walk} refused the packet. */
    public static boolean refused(long walk) {
        return walk < 0;
    }

    /** Why {@code walk} refused the packet. */
    public static DropReason reason(long walk) {
        return DropReason.ofOrdinal((int) (walk >>> 32) & 0xFFFF);
    }

    /** For a refusal, the offset of the offending byte from the IPv6 header (an ICMPv6 parameter problem's pointer). */
    public static int problemPointer(long walk) {
        return (int) walk;
    }

    /** The upper-layer protocol (TCP, UDP, ICMPv6, ..., or {@link #NH_NONE} / {@link #NH_ESP}). */
    public static int upperProtocol(long walk) {
        return (int) (walk >>> 32) & 0xFF;
    }

    /** Where the upper-layer header starts, from the IPv6 header. */
    public static int upperOffset(long walk) {
        return (int) walk;
    }

    /** True when the packet had a fragment header (its upper-layer header may be in another fragment). */
    public static boolean isFragment(long walk) {
        return (walk & (1L << 40)) != 0;
    }

    /** The fragment offset (bytes) of the fragment header at {@code at}. */
    public static int fragmentOffset(ByteBuf buf, int at) {
        return buf.getUnsignedShort(at + FRAGMENT_OFFSET_FLAGS) & 0xFFF8;
    }

    /** True when the fragment header at {@code at} says more fragments follow. */
    public static boolean moreFragments(ByteBuf buf, int at) {
        return (buf.getUnsignedShort(at + FRAGMENT_OFFSET_FLAGS) & 1) != 0;
    }
}
