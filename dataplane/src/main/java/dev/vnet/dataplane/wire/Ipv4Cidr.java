package dev.vnet.dataplane.wire;

/**
 * An IPv4 address with a prefix length, as {@code ip addr add 192.168.15.1/24} takes it (an interface's address, a
 * route's destination, a MASQUERADE source), the one type the topology, the HTTP API and the dataplane all use;
 * parsing with messages that name the text at fault.
 *
 * @param address      the address (host bits may be set)
 * @param prefixLength 0..32
 */
public record Ipv4Cidr(int address, int prefixLength) implements IpPrefix {
    /** Checks the prefix length. */
    public Ipv4Cidr {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 0..32");
        }
    }

    /** Parses {@code a.b.c.d/len}. */
    public static Ipv4Cidr parse(String text) {
        int length = prefixLength(text, 32, "192.168.15.1/24");
        return new Ipv4Cidr(Ipv4Addr.parse(text.substring(0, text.indexOf('/'))), length);
    }

    /**
     * The prefix length after the slash of {@code text}, at most {@code max}; the message names the text and shows
     * {@code example} when the slash is missing. Shared with {@link Ipv6Cidr}.
     */
    static int prefixLength(String text, int max, String example) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("address '" + text + "' needs a prefix length, e.g. " + example);
        }
        int length;
        try {
            length = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("address '" + text + "' has a bad prefix length", e);
        }
        if (length < 0 || length > max) {
            throw new IllegalArgumentException("address '" + text + "': prefix length " + length + " is outside 0.."
                    + max);
        }
        return length;
    }

    /** The network this address is in. */
    public int network() {
        return address & Ipv4Addr.mask(prefixLength);
    }

    /** True when {@code other} is in the same subnet (same network, same prefix length). */
    public boolean sameSubnet(Ipv4Cidr other) {
        return prefixLength == other.prefixLength && network() == other.network();
    }

    @Override
    public String toString() {
        return Ipv4Addr.toString(address) + "/" + prefixLength;
    }
}
