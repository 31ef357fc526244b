package dev.vnet.dataplane.util;

/**
 * A token bucket: {@code ratePerSecond} tokens a second, at most {@code burst} saved up; {@link #take} spends one.
 * For limiting what a tenant can make the dataplane send (ICMP errors). Synchronized: loops share one bucket, and it
 * is asked only on paths that are not per-frame work of the healthy kind (errors).
 */
public final class TokenBucket {
    private static final long SECOND = 1_000_000_000L;

    private final long nanosPerToken;
    private final long capacityNanos;
    private long level; // tokens held, in nanoseconds' worth of refill
    private long last = Long.MIN_VALUE;
    private long refused;

    /** A bucket refilled at {@code ratePerSecond} holding at most {@code burst} tokens, full at the start. */
    public TokenBucket(int ratePerSecond, int burst) {
        if (ratePerSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("rate and burst must be at least 1");
        }
        this.nanosPerToken = SECOND / ratePerSecond;
        this.capacityNanos = nanosPerToken * burst;
        this.level = capacityNanos;
    }

    /** Takes a token at time {@code now} (nanoseconds); false, and counted, when the bucket is empty. */
    public synchronized boolean take(long now) {
        if (last != Long.MIN_VALUE && now > last) {
            level = Math.min(capacityNanos, level + (now - last));
        }
        if (last == Long.MIN_VALUE || now > last) {
            last = now;
        }
        if (level >= nanosPerToken) {
            level -= nanosPerToken;
            return true;
        }
        refused++;
        return false;
    }

    /** Takes refused because the bucket was empty. */
    public synchronized long refused() {
        return refused;
    }
}
