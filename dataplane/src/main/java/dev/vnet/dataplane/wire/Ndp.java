package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;

/**
 * Neighbour discovery messages (RFC 4861) inside ICMPv6: router and neighbour solicitations and advertisements, their
 * validity checks (sections 6.1 and 7.1, as the kernel's {@code ndisc_rcv} applies them) and their options.
 * Offsets are from the ICMPv6 header.
 */
public final class Ndp {
    /** Offset of an NS's or NA's target address. */
    public static final int TARGET = 8;
    /** Offset of an NA's flags byte (router, solicited, override). */
    public static final int NA_FLAGS = 4;
    /** NA flag: the sender is a router. */
    public static final int NA_ROUTER = 0x80;
    /** NA flag: sent in answer to a solicitation. */
    public static final int NA_SOLICITED = 0x40;
    /** NA flag: the link-layer address overrides a cached one. */
    public static final int NA_OVERRIDE = 0x20;
    /** Offset of an RA's current hop limit. */
    public static final int RA_HOP_LIMIT = 4;
    /** Offset of an RA's flags (managed, other). */
    public static final int RA_FLAGS = 5;
    /** Offset of an RA's router lifetime (seconds). */
    public static final int RA_LIFETIME = 6;
    /** Offset of an RA's reachable time (ms). */
    public static final int RA_REACHABLE = 8;
    /** Offset of an RA's retransmission timer (ms). */
    public static final int RA_RETRANS = 12;

    /** Option: source link-layer address. */
    public static final int OPT_SOURCE_LINK_ADDRESS = 1;
    /** Option: target link-layer address. */
    public static final int OPT_TARGET_LINK_ADDRESS = 2;
    /** Option: prefix information (32 bytes). */
    public static final int OPT_PREFIX = 3;
    /** Option: MTU (8 bytes). */
    public static final int OPT_MTU = 5;
    /** Option: recursive DNS servers (RFC 8106; 8 bytes and 16 per address). */
    public static final int OPT_RDNSS = 25;

    /** The hop limit every neighbour discovery message is sent with, and must arrive with (from the link itself). */
    public static final int HOP_LIMIT = 255;
    /** Most options a message may carry before the rest is ignored: a bound on the walk. */
    public static final int MAX_OPTIONS = 64;

    private static final int NS_NA_LEN = 24;
    private static final int RS_LEN = 8;
    private static final int RA_LEN = 16;

    private Ndp() {
    }

    /** True for the four neighbour discovery types vnet reads (RS, RA, NS, NA). */
    public static boolean isNdp(int type) {
        return type >= Icmp6.TYPE_ROUTER_SOLICITATION && type <= Icmp6.TYPE_NEIGHBOR_ADVERTISEMENT;
    }

    /** Where the options of a message of {@code type} start, from the ICMPv6 header. */
    public static int optionsOffset(int type) {
        return switch (type) {
            case Icmp6.TYPE_ROUTER_SOLICITATION -> RS_LEN;
            case Icmp6.TYPE_ROUTER_ADVERTISEMENT -> RA_LEN;
            default -> NS_NA_LEN;
        };
    }

    /**
     * RFC 4861's validity checks for the RS, RA, NS or NA of {@code length} bytes at {@code icmp} in the packet at
     * {@code ip} (whose ICMPv6 checksum verified): hop limit 255, code 0, long enough, a unicast target, options
     * each of non-zero length and inside the message; from the unspecified address no source link-layer address,
     * and an NS only to a solicited-node group; an RA only from a link-local address; an NA to a group not marked
     * solicited. Null when valid, else {@code ndp-invalid}.
     */
    public static DropReason check(ByteBuf buf, int ip, int icmp, int length) {
        int type = Icmp6.type(buf, icmp);
        if (Ipv6.hopLimit(buf, ip) != HOP_LIMIT || Icmp6.code(buf, icmp) != 0 || length < optionsOffset(type)) {
            return DropReason.NDP_INVALID;
        }
        boolean unspecifiedSource = Ipv6.isUnspecified(Ipv6.srcHi(buf, ip), Ipv6.srcLo(buf, ip));
        if (unspecifiedSource && option(buf, icmp, length, OPT_SOURCE_LINK_ADDRESS) >= 0) {
            return DropReason.NDP_INVALID;
        }
        if (!optionsSound(buf, icmp, length)) {
            return DropReason.NDP_INVALID;
        }
        switch (type) {
            case Icmp6.TYPE_NEIGHBOR_SOLICITATION, Icmp6.TYPE_NEIGHBOR_ADVERTISEMENT -> {
                if (Ipv6.isMulticast(targetHi(buf, icmp))) {
                    return DropReason.NDP_INVALID;
                }
                boolean toGroup = Ipv6.isMulticast(Ipv6.dstHi(buf, ip));
                if (type == Icmp6.TYPE_NEIGHBOR_SOLICITATION && unspecifiedSource
                        && !isSolicitedNode(Ipv6.dstHi(buf, ip), Ipv6.dstLo(buf, ip))) {
                    return DropReason.NDP_INVALID;
                }
                if (type == Icmp6.TYPE_NEIGHBOR_ADVERTISEMENT && toGroup
                        && (buf.getUnsignedByte(icmp + NA_FLAGS) & NA_SOLICITED) != 0) {
                    return DropReason.NDP_INVALID;
                }
            }
            case Icmp6.TYPE_ROUTER_ADVERTISEMENT -> {
                if (!Ipv6.isLinkLocal(Ipv6.srcHi(buf, ip))) {
                    return DropReason.NDP_INVALID;
                }
            }
            default -> {
                // a router solicitation has nothing more to check
            }
        }
        return null;
    }

    /** True when every option has a non-zero length and lies inside the message (at most {@link #MAX_OPTIONS}). */
    private static boolean optionsSound(ByteBuf buf, int icmp, int length) {
        int at = icmp + optionsOffset(Icmp6.type(buf, icmp));
        int end = icmp + length;
        for (int n = 0; at < end; n++) {
            if (n == MAX_OPTIONS || at + 2 > end) {
                return false;
            }
            int size = buf.getUnsignedByte(at + 1) * 8;
            if (size == 0 || at + size > end) {
                return false;
            }
            at += size;
        }
        return true;
    }

    /**
     * Where the first option of {@code optionType} starts in the message of {@code length} bytes at {@code icmp}, or
     * -1 when there is none. The options must have passed {@link #check} (or the walk stops at the first bad one).
     */
    public static int option(ByteBuf buf, int icmp, int length, int optionType) {
        int at = icmp + optionsOffset(Icmp6.type(buf, icmp));
        int end = icmp + length;
        for (int n = 0; n < MAX_OPTIONS && at + 2 <= end; n++) {
            int size = buf.getUnsignedByte(at + 1) * 8;
            if (size == 0 || at + size > end) {
                return -1;
            }
            if (buf.getUnsignedByte(at) == optionType) {
                return at;
            }
            at += size;
        }
        return -1;
    }

    /**
     * The MAC in the source or target link-layer address option ({@code optionType}) of the message, or -1 when it
     * has none (or one not of Ethernet's size: 8 bytes in all).
     */
    public static long linkLayerAddress(ByteBuf buf, int icmp, int length, int optionType) {
        int at = option(buf, icmp, length, optionType);
        if (at < 0 || buf.getUnsignedByte(at + 1) != 1) {
            return -1;
        }
        return MacAddr.get(buf, at + 2);
    }

    /** The high 64 bits of an NS's or NA's target address. */
    public static long targetHi(ByteBuf buf, int icmp) {
        return buf.getLong(icmp + TARGET);
    }

    /** The low 64 bits of an NS's or NA's target address. */
    public static long targetLo(ByteBuf buf, int icmp) {
        return buf.getLong(icmp + TARGET + 8);
    }

    /** True for a solicited-node group address, ff02::1:ffXX:XXXX (RFC 4291 section 2.7.1). */
    public static boolean isSolicitedNode(long hi, long lo) {
        return hi == 0xFF02_0000_0000_0000L && (lo >>> 24) == 0x0000_0001_FFL;
    }

    /** The low 64 bits of the solicited-node group of an address whose low 64 bits are {@code lo} (hi: ff02::). */
    public static long solicitedNodeLo(long lo) {
        return 0x0000_0001_FF00_0000L | (lo & 0xFF_FFFFL);
    }
}
