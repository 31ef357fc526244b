package dev.vnet.control.topology;

import dev.vnet.dataplane.api.ForwardProtocol;

/**
 * A port forward (DNAT), as {@code iptables -t nat -A PREROUTING -d ADDR -p PROTO --dport P -j DNAT --to T:TP}.
 *
 * @param protocol   TCP, UDP or both
 * @param on         the router interface (an uplink's name or a bridge's) whose address is listened on
 * @param portLow    first port forwarded
 * @param portHigh   last port forwarded
 * @param target     the address connections go to
 * @param targetPort the port {@code portLow} maps to (the range keeps its offsets)
 */
public record PortForwardSpec(ForwardProtocol protocol, String on, int portLow, int portHigh, int target, int targetPort) {
}
