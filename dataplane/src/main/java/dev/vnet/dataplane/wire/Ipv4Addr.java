package dev.vnet.dataplane.wire;

/** IPv4 addresses as {@code int} (network order in the value's bit order) and prefixes; parsing and printing. */
public final class Ipv4Addr {
    private Ipv4Addr() {
    }

    /** Dotted quad. Allocates: control plane only. */
    public static String toString(int addr) {
        return (addr >>> 24) + "." + ((addr >>> 16) & 0xFF) + "." + ((addr >>> 8) & 0xFF) + "." + (addr & 0xFF);
    }

    /** Parses a dotted quad; the message names the text that is wrong. */
    public static int parse(String text) {
        String[] parts = text.trim().split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
        }
        int addr = 0;
        for (String part : parts) {
            int octet;
            try {
                octet = part.isEmpty() || part.length() > 3 ? -1 : Integer.parseInt(part);
            } catch (NumberFormatException e) {
                octet = -1;
            }
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
            }
            addr = (addr << 8) | octet;
        }
        return addr;
    }

    /** The netmask of a prefix length 0..32 as an int. */
    public static int mask(int prefixLength) {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 0..32");
        }
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** True when {@code addr} is inside {@code network/prefixLength}. */
    public static boolean contains(int network, int prefixLength, int addr) {
        int mask = mask(prefixLength);
        return (network & mask) == (addr & mask);
    }

    /**
     * The top {@code bits} bits of a Fibonacci hash of {@code addr}: a slot in a table of {@code 2^bits} entries
     * keyed by address (1 to 32 bits).
     */
    public static int hash(int addr, int bits) {
        return (int) (((addr & 0xFFFF_FFFFL) * 0x9E37_79B9_7F4A_7C15L) >>> (64 - bits));
    }
}
