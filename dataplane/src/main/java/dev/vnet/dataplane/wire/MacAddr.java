package dev.vnet.dataplane.wire;

import io.netty.buffer.ByteBuf;

/**
 * MAC addresses as the low 48 bits of a {@code long}: no object per address on the frame path.
 * Bit 40 of the value is the I/G bit of the first octet (group address).
 */
public final class MacAddr {
    /** ff:ff:ff:ff:ff:ff. */
    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    /** Length of a MAC address in bytes. */
    public static final int LENGTH = 6;

    private static final long GROUP_BIT = 0x0100_0000_0000L;
    private static final long LOCAL_BIT = 0x0200_0000_0000L;

    private MacAddr() {
    }

    /** Reads the 6 bytes at {@code index} (absolute, big endian). */
    public static long get(ByteBuf buf, int index) {
        if (index >= 0 && index <= buf.capacity() - Long.BYTES) {
            return buf.getLong(index) >>> 16; // one read instead of two: the two bytes after it shifted out
        }
        return ((long) buf.getUnsignedShort(index) << 32) | buf.getUnsignedInt(index + 2);
    }

    /** Writes {@code mac} as 6 bytes at {@code index}. */
    public static void set(ByteBuf buf, int index, long mac) {
        buf.setShort(index, (int) (mac >>> 32));
        buf.setInt(index + 2, (int) mac);
    }

    /** True for multicast and broadcast (group) addresses. */
    public static boolean isGroup(long mac) {
        return (mac & GROUP_BIT) != 0;
    }

    /** True for ff:ff:ff:ff:ff:ff. */
    public static boolean isBroadcast(long mac) {
        return mac == BROADCAST;
    }

    /** True for a locally administered unicast address, as {@link #random} makes. */
    public static boolean isLocalUnicast(long mac) {
        return (mac & LOCAL_BIT) != 0 && !isGroup(mac);
    }

    /** A random locally administered unicast address (02:xx:...), as the kernel gives new virtual devices. */
    public static long random(java.util.random.RandomGenerator rng) {
        long mac = rng.nextLong() & BROADCAST;
        return (mac | LOCAL_BIT) & ~GROUP_BIT;
    }

    /**
     * A locally administered unicast address derived from {@code name} (FNV-1a), the same on every run, as systemd's
     * persistent MAC policy does: a router interface keeps its MAC across restarts, so neighbors' ARP caches stay
     * right and a capture replays against the same addresses.
     */
    public static long derived(String name) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < name.length(); i++) {
            h ^= name.charAt(i);
            h *= 0x100000001b3L;
        }
        long mac = (h ^ (h >>> 48)) & BROADCAST;
        return (mac | LOCAL_BIT) & ~GROUP_BIT;
    }

    /** Colon-separated lower-case hex, as iproute2 prints it. Allocates: control plane only. */
    public static String toString(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            int octet = (int) (mac >>> shift) & 0xFF;
            sb.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
            if (shift > 0) {
                sb.append(':');
            }
        }
        return sb.toString();
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff} (or with dashes). */
    public static long parse(String text) {
        String[] parts = text.trim().split("[:-]");
        if (parts.length != LENGTH) {
            throw new IllegalArgumentException("not a MAC address: '" + text + "' (want six hex octets like 02:00:00:00:00:01)");
        }
        long mac = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 2) {
                throw new IllegalArgumentException("not a MAC address: '" + text + "' (bad octet '" + part + "')");
            }
            try {
                mac = (mac << 8) | Integer.parseInt(part, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MAC address: '" + text + "' (bad octet '" + part + "')", e);
            }
        }
        return mac;
    }
}
