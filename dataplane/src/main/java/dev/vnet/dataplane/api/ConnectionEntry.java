package dev.vnet.dataplane.api;

/**
 * One tracked connection, as {@code conntrack -L} lists it.
 *
 * @param protocol       its protocol (tcp, udp, icmp, icmpv6, or proto-N)
 * @param original       the original tuple, e.g. {@code 192.168.15.2:40000 -> 192.168.1.3:80}
 * @param reply          the reply tuple (differs from the inverse of the original when translated)
 * @param state          the TCP state, or REPLIED / UNREPLIED for UDP and ICMP
 * @param timeoutSeconds seconds until it expires unless traffic refreshes it
 * @param translated     true when NAT rewrites its packets
 */
public record ConnectionEntry(IpProtocol protocol, FlowTuple original, FlowTuple reply, String state,
                              long timeoutSeconds, boolean translated) {
}
