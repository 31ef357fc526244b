package dev.vnet.dataplane.api;

import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.wire.Ipv4Address;

/**
 * One direction of a tracked connection, as {@code conntrack -L} shows a tuple: {@code 192.168.15.1:40000 ->
 * 192.168.1.3:80}, or the addresses alone for a protocol tracked without ports.
 *
 * @param protocol its protocol
 * @param src      source address
 * @param srcPort  source port (an ICMP query's identifier; 0 without ports)
 * @param dst      destination address
 * @param dstPort  destination port (0 without ports)
 */
public record FlowTuple(IpProtocol protocol, Ipv4Address src, int srcPort, Ipv4Address dst, int dstPort) {
    @Override
    public String toString() {
        return FlowKey.endpoints(protocol.number(), src.value(), srcPort, dst.value(), dstPort);
    }
}
