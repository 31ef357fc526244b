package dev.vnet.dataplane.api;

import dev.vnet.dataplane.l2.MacTable;

import java.util.concurrent.TimeUnit;

/**
 * Settings of one bridge.
 *
 * @param fdbMaxEntries bound on learned and static MAC entries
 * @param agingNanos    time after which a MAC not seen again is forgotten
 */
public record BridgeOptions(int fdbMaxEntries, long agingNanos) {
    /** Checks the values; the message names the bad one. */
    public BridgeOptions {
        if (fdbMaxEntries < 1 || fdbMaxEntries > MacTable.MAX_MAX_ENTRIES) {
            throw new IllegalArgumentException("fdb max entries " + fdbMaxEntries + " is outside 1.."
                    + MacTable.MAX_MAX_ENTRIES);
        }
        if (agingNanos < TimeUnit.SECONDS.toNanos(1)) {
            throw new IllegalArgumentException("MAC aging time must be at least 1 s, got "
                    + TimeUnit.NANOSECONDS.toMillis(agingNanos) + " ms");
        }
    }

    /** 8192 entries, 300 s aging, as the kernel bridge ages. */
    public static BridgeOptions defaults() {
        return new BridgeOptions(MacTable.DEFAULT_MAX_ENTRIES, MacTable.DEFAULT_AGING_NANOS);
    }
}
