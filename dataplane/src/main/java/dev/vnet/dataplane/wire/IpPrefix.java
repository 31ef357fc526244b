package dev.vnet.dataplane.wire;

/** A prefix of either family with its length, as the views report one (a route's destination). */
public sealed interface IpPrefix permits Ipv4Cidr, Ipv6Cidr {
    /** The prefix length. */
    int prefixLength();

    /** Parses {@code address/len} of either family (told apart by a colon); the message names the text at fault. */
    static IpPrefix parse(String text) {
        return text.indexOf(':') >= 0 ? Ipv6Cidr.parse(text) : Ipv4Cidr.parse(text);
    }
}
