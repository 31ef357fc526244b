package dev.vnet.dataplane.wire;

/**
 * An IPv6 address with a prefix length, as {@code ip -6 addr add fd00:15::5/64} takes it; parsing with messages that
 * name the text at fault.
 *
 * @param address      the address (host bits may be set)
 * @param prefixLength 0..128
 */
public record Ipv6Cidr(Ipv6Address address, int prefixLength) implements IpPrefix {
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

    /** The prefix itself: the address with its host bits cleared. */
    public Ipv6Address network() {
        return new Ipv6Address(address.hi() & hiMask(), address.lo() & loMask());
    }

    /** True when the address {@code hi:lo} is inside this prefix. */
    public boolean contains(long hi, long lo) {
        return ((hi ^ address.hi()) & hiMask()) == 0 && ((lo ^ address.lo()) & loMask()) == 0;
    }

    private long hiMask() {
        return hiMask(prefixLength);
    }

    private long loMask() {
        return loMask(prefixLength);
    }

    /** The high 64 bits of the mask of a /{@code length} prefix. */
    public static long hiMask(int length) {
        return length >= 64 ? -1L : length == 0 ? 0 : -1L << (64 - length);
    }

    /** The low 64 bits of the mask of a /{@code length} prefix. */
    public static long loMask(int length) {
        return length <= 64 ? 0 : -1L << (128 - length);
    }

    @Override
    public String toString() {
        return address + "/" + prefixLength;
    }
}
