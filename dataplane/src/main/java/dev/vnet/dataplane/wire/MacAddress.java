package dev.vnet.dataplane.wire;

/**
 * A MAC address as a value of its own, for what the dataplane reports and takes beyond the per-frame path (an FDB
 * entry, a neighbor): printed and parsed as colon-separated hex, as {@code ip link} and {@code bridge fdb} show it.
 * The per-frame path keeps MACs as plain {@code long}s ({@link MacAddr}); this wraps one.
 *
 * @param value the 48-bit address in the low bits
 */
public record MacAddress(long value) {
    /** Parses {@code 02:00:00:00:00:01}; the message names the text at fault. */
    public static MacAddress parse(String text) {
        return new MacAddress(MacAddr.parse(text));
    }

    /** True for a group (multicast or broadcast) address. */
    public boolean isGroup() {
        return MacAddr.isGroup(value);
    }

    @Override
    public String toString() {
        return MacAddr.toString(value);
    }
}
