package dev.vnet.dataplane.wire;

/**
 * An IPv4 address as a value of its own, for what the dataplane reports and takes beyond the per-frame path (a
 * route's gateway, a neighbor, a forward's target): printed and parsed in dotted quad. The per-frame path keeps
 * addresses as plain {@code int}s ({@link Ipv4Addr}); this wraps one.
 *
 * @param value the address, most significant byte first
 */
public record Ipv4Address(int value) implements IpAddress {
    /** Parses a dotted quad; the message names the text at fault. */
    public static Ipv4Address parse(String text) {
        return new Ipv4Address(Ipv4Addr.parse(text));
    }

    /** The address {@code value}, or null for 0 (no address: a connected route's gateway). */
    public static Ipv4Address orNull(int value) {
        return value == 0 ? null : new Ipv4Address(value);
    }

    @Override
    public String toString() {
        return Ipv4Addr.toString(value);
    }
}
