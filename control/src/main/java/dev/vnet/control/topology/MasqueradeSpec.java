package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.IpPrefix;

/**
 * MASQUERADE, as {@code iptables -t nat -A POSTROUTING -s SOURCE -o OUT -j MASQUERADE} (for an IPv6 source, the
 * ip6tables rule: NAT66).
 *
 * @param source the source prefix whose connections are translated
 * @param out    the router interface (an uplink's name or a bridge's) whose address they take
 */
public record MasqueradeSpec(IpPrefix source, String out) {
}
