package dev.vnet.dataplane.api;

/**
 * One forwarding-database entry, as {@code bridge fdb show} would list it.
 *
 * @param mac        the address, colon-separated hex
 * @param port       the port name it was learned on (or set to)
 * @param isStatic   true for a static entry (never ages)
 * @param ageSeconds seconds since the address was last seen (0 for static entries)
 */
public record FdbEntry(String mac, String port, boolean isStatic, double ageSeconds) {
}
