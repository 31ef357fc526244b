package dev.vnet.control.topology;

/**
 * MASQUERADE, as {@code iptables -t nat -A POSTROUTING -s SOURCE -o OUT -j MASQUERADE}.
 *
 * @param source the source prefix whose connections are translated
 * @param out    the router interface (an uplink's name or a bridge's) whose address they take
 */
public record MasqueradeSpec(InterfaceAddress source, String out) {
}
