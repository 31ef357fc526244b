package dev.vnet.dataplane.wire;

/**
 * An IPv6 address with a prefix length, as {@code ip -6 addr add fd00:15::5/64} takes it; parsing with messages that
 * name the text at fault.
 *
 * @param address      the address (host bits may be set)
 * @param prefixLength 0..128
 */
public record Ipv6Cidr(Ipv6Address address, int prefixLength) {
    /** Checks the prefix length. */
    public Ipv6Cidr {
        if (prefixLength < 0 || prefixLength > 128) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 0..128");
        }
    }

    /** Parses {@code address/len}. */
    public static Ipv6Cidr parse(String text) {
        int length = Ipv4Cidr.prefixLength(text, 128, "fd00:15::5/64");
        return new Ipv6Cidr(Ipv6Address.parse(text.substring(0, text.indexOf('/'))), length);
    }

    /** True when the address {@code hi:lo} is inside this prefix. */
    public boolean contains(long hi, long lo) {
        if (prefixLength <= 64) {
            long mask = prefixLength == 0 ? 0 : -1L << (64 - prefixLength);
            return ((hi ^ address.hi()) & mask) == 0;
        }
        long mask = -1L << (128 - prefixLength);
        return hi == address.hi() && ((lo ^ address.lo()) & mask) == 0;
    }

    @Override
    public String toString() {
        return address + "/" + prefixLength;
    }
}
