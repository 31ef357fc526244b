package dev.vnet.dataplane.wire;

import io.netty.buffer.ByteBuf;

/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')).
 *
 * <p>Sums are carried as non-negative {@code int} accumulators of 16-bit words and folded at the end, so several
 * pieces (pseudo-header, header, payload) can be added before {@link #finish}. Nothing here allocates.
 */
public final class Checksum {
    private Checksum() {
    }

    /** Adds the bytes {@code [index, index+length)} to {@code sum} as big-endian 16-bit words (odd tail zero-padded). */
    public static int add(ByteBuf buf, int index, int length, int sum) {
        long acc = sum & 0xFFFF_FFFFL;
        int end = index + length;
        int i = index;
        // Eight bytes per read, added as two 32-bit words: a 64 KiB region sums to under 2^47, no overflow.
        for (; i + 8 <= end; i += 8) {
            long v = buf.getLong(i);
            acc += (v >>> 32) + (v & 0xFFFF_FFFFL);
        }
        if (i + 4 <= end) {
            acc += buf.getUnsignedInt(i);
            i += 4;
        }
        if (i + 2 <= end) {
            acc += buf.getUnsignedShort(i);
            i += 2;
        }
        if (i < end) {
            acc += (buf.getUnsignedByte(i) << 8);
        }
        // A 32-bit word adds two 16-bit words at once: fold the carries back into 16 bits.
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xFFFF) + (acc >>> 16);
        }
        return (int) acc;
    }

    /** Folds an accumulator to 16 bits without complementing it. */
    public static int fold(int sum) {
        long acc = sum & 0xFFFF_FFFFL;
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xFFFF) + (acc >>> 16);
        }
        return (int) acc;
    }

    /** Folds and complements: the value to store in a checksum field. */
    public static int finish(int sum) {
        return ~fold(sum) & 0xFFFF;
    }

    /** The checksum of {@code [index, index+length)} alone, ready to store. */
    public static int compute(ByteBuf buf, int index, int length) {
        return finish(add(buf, index, length, 0));
    }

    /** True when a region that contains its own checksum field sums to 0xFFFF (the check in RFC 1071). */
    public static boolean verify(ByteBuf buf, int index, int length) {
        return fold(add(buf, index, length, 0)) == 0xFFFF;
    }

    /** The TCP/UDP pseudo-header sum for IPv4 (RFC 793 section 3.1, RFC 768). */
    public static int pseudoHeader(int src, int dst, int protocol, int l4Length) {
        return fold((src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + protocol + l4Length);
    }

    /** A stored checksum updated for one 16-bit word changing from {@code oldWord} to {@code newWord} (RFC 1624). */
    public static int update16(int checksum, int oldWord, int newWord) {
        int sum = (~checksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }

    /** A stored checksum updated for one 32-bit value (an IPv4 address) changing. */
    public static int update32(int checksum, int oldValue, int newValue) {
        int sum = (~checksum & 0xFFFF)
                + (~(oldValue >>> 16) & 0xFFFF) + (~oldValue & 0xFFFF)
                + (newValue >>> 16) + (newValue & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }
}
