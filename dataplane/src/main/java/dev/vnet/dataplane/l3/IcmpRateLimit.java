package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.util.TokenBucket;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4Addr;

import java.util.concurrent.TimeUnit;

/**
 * The limit on the ICMP errors the router originates (RFC 1812 4.3.2.8), as the kernel's: to any one destination
 * at most one a second with bursts of 6 ({@code net.ipv4.icmp_ratelimit}, 1000 ms, and the kernel's
 * XRLIM_BURST_FACTOR), and all together at most 1000 a second with bursts of 50 ({@code net.ipv4.icmp_msgs_per_sec}
 * and {@code icmp_msgs_burst}). So one host's flood of TTL-1 or unroutable packets gets a few answers and leaves
 * the others theirs. The destination is asked first, as Linux 6.12 does, so an error it refuses takes nothing from
 * the shared budget. Fragmentation needed is never limited: path-MTU discovery depends on it (the kernel's "don't
 * limit PMTU discovery").
 *
 * <p>Per-destination state: a direct-mapped table of {@link #SLOTS} buckets; a destination that takes the slot of
 * another starts with a full bucket (the shared limit still bounds the total). Synchronized: any loop may send an
 * error, and errors are not per-frame work of the healthy kind.
 */
final class IcmpRateLimit {
    /** Errors a second, all destinations together. */
    static final int PER_SECOND = 1000;
    /** Burst, all destinations together. */
    static final int BURST = 50;
    /** Time that earns one error to a destination. */
    static final long PER_DESTINATION_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Burst to one destination. */
    static final int PER_DESTINATION_BURST = 6;
    /** Destinations remembered. */
    static final int SLOTS = 1024;

    private final TokenBucket shared = new TokenBucket(PER_SECOND, BURST);
    private final boolean[] used = new boolean[SLOTS];
    private final int[] destinations = new int[SLOTS];
    private final long[] levels = new long[SLOTS]; // earned time, at most PER_DESTINATION_BURST errors' worth
    private final long[] lasts = new long[SLOTS];
    private long refused;

    /** True when an error of {@code type}/{@code code} may be sent to {@code destination} at {@code now}. */
    boolean allow(int destination, int type, int code, long now) {
        return allow(destination, type == Icmp4.TYPE_DEST_UNREACHABLE && code == 4, now); // fragmentation needed
    }

    /**
     * True when an error may be sent to the destination keyed {@code destination} (an IPv4 address, or an IPv6
     * address folded to 32 bits) at {@code now}; always for one that path-MTU discovery depends on ({@code exempt}).
     */
    synchronized boolean allow(int destination, boolean exempt, long now) {
        if (exempt) {
            return true;
        }
        int s = slot(destination);
        long capacity = PER_DESTINATION_BURST * PER_DESTINATION_NANOS;
        if (!used[s] || destinations[s] != destination) {
            used[s] = true;
            destinations[s] = destination;
            levels[s] = capacity;
            lasts[s] = now;
        } else if (now > lasts[s]) {
            levels[s] = Math.min(capacity, levels[s] + (now - lasts[s]));
            lasts[s] = now;
        }
        if (levels[s] < PER_DESTINATION_NANOS || !shared.take(now)) {
            refused++;
            return false;
        }
        levels[s] -= PER_DESTINATION_NANOS;
        return true;
    }

    /** Errors not sent because of either limit. */
    synchronized long refused() {
        return refused;
    }

    private static int slot(int destination) {
        return Ipv4Addr.hash(destination, Integer.numberOfTrailingZeros(SLOTS));
    }
}
