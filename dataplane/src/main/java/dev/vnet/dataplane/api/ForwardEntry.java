package dev.vnet.dataplane.api;

import dev.vnet.dataplane.wire.Ipv4Address;

/**
 * One port forward (DNAT) rule as running.
 *
 * @param protocol   TCP or UDP (a forward of both runs as one rule each)
 * @param on         the router interface whose address it listens on
 * @param portLow    first port forwarded
 * @param portHigh   last port forwarded
 * @param target     the address connections go to
 * @param targetPort the port {@code portLow} maps to
 */
public record ForwardEntry(ForwardProtocol protocol, String on, int portLow, int portHigh, Ipv4Address target,
                           int targetPort) {
}
