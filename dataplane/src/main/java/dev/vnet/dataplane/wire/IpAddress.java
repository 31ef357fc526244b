package dev.vnet.dataplane.wire;

/**
 * An address of either family, as the views report one (a neighbour, a route's gateway): printed as {@code ip} prints
 * it. The per-frame path keeps addresses as plain numbers; this is for what leaves it.
 */
public sealed interface IpAddress permits Ipv4Address, Ipv6Address {
    /** Parses a dotted quad or an IPv6 address (told apart by a colon); the message names the text at fault. */
    static IpAddress parse(String text) {
        return text.indexOf(':') >= 0 ? Ipv6Address.parse(text) : Ipv4Address.parse(text);
    }
}
