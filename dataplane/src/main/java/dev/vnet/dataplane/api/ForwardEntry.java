package dev.vnet.dataplane.api;

/**
 * One port forward (DNAT) rule as running.
 *
 * @param protocol   "tcp" or "udp"
 * @param on         the router interface whose address it listens on
 * @param portLow    first port forwarded
 * @param portHigh   last port forwarded
 * @param target     the address connections go to
 * @param targetPort the port {@code portLow} maps to
 */
public record ForwardEntry(String protocol, String on, int portLow, int portHigh, String target, int targetPort) {
}
