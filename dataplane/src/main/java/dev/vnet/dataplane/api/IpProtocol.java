package dev.vnet.dataplane.api;

import dev.vnet.dataplane.conntrack.FlowKey;

/**
 * An IP protocol number as connection tracking reports it: tcp, udp, icmp, or {@code proto-N} for one tracked by its
 * addresses alone (netfilter's generic tracker).
 *
 * @param number the protocol number (6, 17, 1, 47 ...)
 */
public record IpProtocol(int number) {
    /** True when its connections are tracked with ports (TCP, UDP, ICMP queries by their identifier). */
    public boolean hasPorts() {
        return FlowKey.hasPorts(number);
    }

    @Override
    public String toString() {
        return FlowKey.protocolName(number);
    }
}
