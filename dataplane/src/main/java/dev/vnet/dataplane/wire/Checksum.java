package dev.vnet.dataplane.wire;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;

/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')).
 *
 * <p>Sums are carried as non-negative {@code int} accumulators of 16-bit words and folded at the end, so several
 * pieces (pseudo-header, header, payload) can be added before {@link #finish}. Nothing here allocates.
 */
public final class Checksum {
    private Checksum() {
    }

    /**
     * Adds the bytes {@code [index, index+length)} to {@code sum} as big-endian 16-bit words (odd tail zero-padded).
     *
     * @throws IndexOutOfBoundsException when the region is not inside the buffer's capacity
     */
    public static int add(ByteBuf buf, int index, int length, int sum) {
        if (index < 0 || length < 0 || (long) index + length > buf.capacity()) {
            throw new IndexOutOfBoundsException("checksum over " + length + " bytes at " + index + " of a "
                    + buf.capacity() + "-byte buffer");
        }
        if (buf.hasMemoryAddress()) {
            // Read in place: the region was checked once above, where ByteBuf would check every read.
            return fold((sum & 0xFFFF_FFFFL) + addAt(buf.memoryAddress() + index, length));
        }
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
        return fold(acc);
    }

    /**
     * The sum of {@code length} bytes at native {@code address} as big-endian 16-bit words, folded to 16 bits. Read
     * in the machine's order: a one's complement sum of byte-swapped words is the byte-swapped sum (RFC 1071 section
     * 2 (B)), so one swap at the end makes it big-endian.
     */
    private static long addAt(long address, int length) {
        long acc = 0;
        long a = address;
        long end = address + length;
        for (; a + 8 <= end; a += 8) {
            long v = PlatformDependent.getLong(a);
            acc += (v >>> 32) + (v & 0xFFFF_FFFFL);
        }
        if (a + 4 <= end) {
            acc += PlatformDependent.getInt(a) & 0xFFFF_FFFFL;
            a += 4;
        }
        if (a + 2 <= end) {
            acc += PlatformDependent.getShort(a) & 0xFFFF;
            a += 2;
        }
        boolean bigEndian = PlatformDependent.BIG_ENDIAN_NATIVE_ORDER;
        if (a < end) {
            // The odd byte is the high half of its big-endian word: padded with a zero after it.
            int b = PlatformDependent.getByte(a) & 0xFF;
            acc += bigEndian ? b << 8 : b;
        }
        int folded = fold(acc);
        return bigEndian ? folded : Integer.reverseBytes(folded) >>> 16;
    }

    /** Folds a sum of 16-bit words (under 2^48) to 16 bits, without branches. */
    private static int fold(long acc) {
        acc = (acc & 0xFFFF_FFFFL) + (acc >>> 32); // < 2^33
        acc = (acc & 0xFFFF) + (acc >>> 16); // < 2^17 + 2^16
        acc = (acc & 0xFFFF) + (acc >>> 16); // < 2^16 + 2
        return (int) ((acc & 0xFFFF) + (acc >>> 16)); // <= 0xFFFF
    }

    /** Folds an accumulator to 16 bits without complementing it. */
    public static int fold(int sum) {
        long acc = sum & 0xFFFF_FFFFL;
        while ((acc >>> 16) != 0) { // one or two rounds for the small sums of incremental updates
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
