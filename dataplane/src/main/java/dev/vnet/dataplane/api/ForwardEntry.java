package dev.vnet.dataplane.api;

import dev.vnet.dataplane.wire.IpAddress;

/**
 * One port forward (DNAT) rule as running.
 *
 * @param protocol   TCP or UDP (a forward of both runs as one rule each)
 * @param on         the router interface whose address it listens on
 * @param portLow    first port forwarded
 * @param portHigh   last port forwarded
 * @param target     the address connections go to (an IPv6 one for a forward of IPv6 connections)
 * @param targetPort the port {@code portLow} maps to
 */
public record ForwardEntry(ForwardProtocol protocol, String on, int portLow, int portHigh, IpAddress target,
                           int targetPort) {
}
