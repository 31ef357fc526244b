package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.Ipv4Cidr;

/**
 * MASQUERADE, as {@code iptables -t nat -A POSTROUTING -s SOURCE -o OUT -j MASQUERADE}.
 *
 * @param source the source prefix whose connections are translated
 * @param out    the router interface (an uplink's name or a bridge's) whose address they take
 */
public record MasqueradeSpec(Ipv4Cidr source, String out) {
}
