package dev.vnet.dataplane.wire;

import io.netty.buffer.ByteBuf;

/**
 * IPv4 header options (RFC 791 section 3.1): checked by the rules of the kernel's ip_options_compile, and located.
 * Reads only; what a router writes into record route and timestamp options is {@code l3/IpOptionStamps}.
 */
public final class Ipv4Options {
    /** End of option list. */
    public static final int END = 0;
    /** No operation (padding between options). */
    public static final int NOOP = 1;
    /** Record route. */
    public static final int RECORD_ROUTE = 7;
    /** Internet timestamp. */
    public static final int TIMESTAMP = 68;
    /** Loose source and record route. */
    public static final int LOOSE_SOURCE_ROUTE = 131;
    /** Strict source and record route. */
    public static final int STRICT_SOURCE_ROUTE = 137;
    /** Router alert (RFC 2113). */
    public static final int ROUTER_ALERT = 148;

    /** Timestamp flag: timestamps only. */
    public static final int TS_ONLY = 0;
    /** Timestamp flag: each timestamp preceded by the address of the router that wrote it. */
    public static final int TS_AND_ADDRESS = 1;
    /** Timestamp flag: prespecified addresses, each followed by the timestamp of the router it names. */
    public static final int TS_PRESPECIFIED = 3;

    /** {@link #check} result: sound, and no source route. */
    public static final int SOUND = 0;
    /** {@link #check} result: sound, but carries a source route (the kernel drops these by default). */
    public static final int SOURCE_ROUTED = -1;

    /** Forty no-ops: what an option not copied into later fragments becomes there. */
    private static final byte[] NOOPS = new byte[40];

    static {
        java.util.Arrays.fill(NOOPS, (byte) NOOP);
    }

    private Ipv4Options() {
    }

    /** True when the header at {@code ip} (already checked by {@link Ipv4#check}) has options. */
    public static boolean present(ByteBuf buf, int ip) {
        return Ipv4.headerLength(buf, ip) > Ipv4.MIN_HEADER_LEN;
    }

    /** True when {@code type} is copied into every fragment (the copied flag, RFC 791). */
    public static boolean copiedOnFragmentation(int type) {
        return (type & 0x80) != 0;
    }

    /**
     * Checks the options of the header at {@code ip} as the kernel does on receipt: {@link #SOUND},
     * {@link #SOURCE_ROUTED}, or else the offset from {@code ip} of the first bad byte, for ICMP parameter problem's
     * pointer (always at least 20). Options the kernel does not interpret are accepted as they are.
     */
    public static int check(ByteBuf buf, int ip) {
        int end = ip + Ipv4.headerLength(buf, ip);
        boolean rr = false;
        boolean ts = false;
        boolean sourceRoute = false;
        for (int at = next(buf, ip + Ipv4.MIN_HEADER_LEN, end); at >= 0; ) {
            int type = buf.getUnsignedByte(at);
            int length = length(buf, at, end);
            if (length == 0) {
                return at - ip;
            }
            int bad = -1;
            switch (type) {
                case LOOSE_SOURCE_ROUTE, STRICT_SOURCE_ROUTE -> { // the kernel checks the pointer, then for a second
                    bad = pointerOption(buf, at, length, 4);
                    if (bad < 0 && sourceRoute) {
                        bad = at;
                    }
                    sourceRoute = true;
                }
                case RECORD_ROUTE -> {
                    bad = rr ? at : pointerOption(buf, at, length, 4);
                    if (bad < 0) {
                        int pointer = buf.getUnsignedByte(at + 2);
                        if (pointer <= length && pointer + 3 > length) {
                            bad = at + 2;
                        }
                    }
                    rr = true;
                }
                case TIMESTAMP -> {
                    bad = ts ? at : timestamp(buf, at, length);
                    ts = true;
                }
                case ROUTER_ALERT -> bad = length < 4 ? at + 1 : -1;
                default -> {
                }
            }
            if (bad >= 0) {
                return bad - ip;
            }
            at = next(buf, at + length, end);
        }
        return sourceRoute ? SOURCE_ROUTED : SOUND;
    }

    /** An option with a pointer at its third byte: at least 3 long, the pointer at least {@code minPointer}. */
    private static int pointerOption(ByteBuf buf, int at, int length, int minPointer) {
        if (length < 3) {
            return at + 1;
        }
        return buf.getUnsignedByte(at + 2) < minPointer ? at + 2 : -1;
    }

    private static int timestamp(ByteBuf buf, int at, int length) {
        if (length < 4) {
            return at + 1;
        }
        int pointer = buf.getUnsignedByte(at + 2);
        if (pointer < 5) {
            return at + 2;
        }
        int flag = buf.getUnsignedByte(at + 3) & 0x0F;
        if (pointer <= length) {
            int slot = flag == TS_AND_ADDRESS || flag == TS_PRESPECIFIED ? 8 : 4;
            return pointer + slot - 1 > length ? at + 2 : -1;
        }
        // Full: the next router counts itself in the overflow nibble; fifteen cannot be counted past.
        return flag != TS_PRESPECIFIED && (buf.getUnsignedByte(at + 3) >>> 4) == 15 ? at + 3 : -1;
    }

    /**
     * Turns the options of the header at {@code ip} that are not copied on fragmentation into no-ops (the header
     * keeps its length; its checksum is left to the caller), as in every fragment after the first.
     */
    public static void clearUncopied(ByteBuf buf, int ip) {
        int end = ip + Ipv4.headerLength(buf, ip);
        for (int at = next(buf, ip + Ipv4.MIN_HEADER_LEN, end); at >= 0; ) {
            int length = length(buf, at, end);
            if (length == 0) {
                return; // not an option list the router checked: left as it is
            }
            if (!copiedOnFragmentation(buf.getUnsignedByte(at))) {
                buf.setBytes(at, NOOPS, 0, length);
            }
            at = next(buf, at + length, end);
        }
    }

    /** Offset of the first option of {@code type} in the header at {@code ip}, or -1 when it has none. */
    public static int find(ByteBuf buf, int ip, int type) {
        int end = ip + Ipv4.headerLength(buf, ip);
        for (int at = next(buf, ip + Ipv4.MIN_HEADER_LEN, end); at >= 0; ) {
            if (buf.getUnsignedByte(at) == type) {
                return at;
            }
            int length = length(buf, at, end);
            if (length == 0) {
                return -1; // not checked: stop rather than loop
            }
            at = next(buf, at + length, end);
        }
        return -1;
    }

    /**
     * Where the next option starts, at or after {@code at} (no-ops skipped), in a header whose options end at
     * {@code end}; when the list ends first, {@code ~stop} (negative), {@code stop} being the offset of the
     * end-of-list option, or {@code end}. Every walk over the options steps with this and {@link #length}.
     */
    public static int next(ByteBuf buf, int at, int end) {
        for (; at < end; at++) {
            int type = buf.getUnsignedByte(at);
            if (type == END) {
                return ~at;
            }
            if (type != NOOP) {
                return at;
            }
        }
        return ~end;
    }

    /** Length of the option at {@code at}, or 0 when it has none that fits before {@code end} (RFC 791: at least 2). */
    public static int length(ByteBuf buf, int at, int end) {
        if (end - at < 2) {
            return 0;
        }
        int length = buf.getUnsignedByte(at + 1);
        return length < 2 || length > end - at ? 0 : length;
    }
}
