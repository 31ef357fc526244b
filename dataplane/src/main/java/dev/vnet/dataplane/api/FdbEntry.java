package dev.vnet.dataplane.api;

import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.MacAddress;

/**
 * One forwarding-database entry, as {@code bridge fdb show} would list it.
 *
 * @param mac        the address
 * @param port       the port name it was learned on (or set to)
 * @param isStatic   true for a static entry (never ages)
 * @param ageSeconds seconds since the address was last seen (0 for static entries)
 * @param vtep       for a MAC behind a VXLAN tunnel, the remote VTEP ({@code bridge fdb}'s {@code dst}); else null
 */
public record FdbEntry(MacAddress mac, String port, boolean isStatic, double ageSeconds, Ipv4Address vtep) {
}
