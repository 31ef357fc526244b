package dev.vnet.dataplane.api;

import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.wire.IpAddress;
import dev.vnet.dataplane.wire.Ipv6Address;

/**
 * One direction of a tracked connection, as {@code conntrack -L} shows a tuple: {@code 192.168.15.1:40000 ->
 * 192.168.1.3:80} ({@code [fd00:15::1]:40000 -> [fd00:1::3]:80} for IPv6), or the addresses alone for a protocol
 * tracked without ports.
 *
 * @param protocol its protocol
 * @param src      source address
 * @param srcPort  source port (an ICMP query's identifier; 0 without ports)
 * @param dst      destination address
 * @param dstPort  destination port (0 without ports)
 */
public record FlowTuple(IpProtocol protocol, IpAddress src, int srcPort, IpAddress dst, int dstPort) {
    @Override
    public String toString() {
        if (!FlowKey.hasPorts(protocol.number())) {
            return src + " -> " + dst;
        }
        return endpoint(src, srcPort) + " -> " + endpoint(dst, dstPort);
    }

    /** {@code 192.168.15.1:40000}, or {@code [fd00:15::1]:40000} as IPv6 endpoints are written. */
    private static String endpoint(IpAddress a, int port) {
        return a instanceof Ipv6Address ? "[" + a + "]:" + port : a + ":" + port;
    }
}
