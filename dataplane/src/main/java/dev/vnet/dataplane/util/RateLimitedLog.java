package dev.vnet.dataplane.util;

import org.slf4j.Logger;

/**
 * A warning that is logged at most once per interval; occurrences in between are counted and reported with the next
 * line. For errors that can repeat per frame (a port whose device vanished, a full table) without flooding the log.
 * Synchronized: a table shared by several event loops shares its limiter.
 */
public final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private long lastLogged = Long.MIN_VALUE;
    private long suppressed;
    private long lastSuppressed;

    /** A limiter that lets one line through every {@code intervalNanos}. */
    public RateLimitedLog(Logger log, long intervalNanos) {
        this.log = log;
        this.intervalNanos = intervalNanos;
    }

    /**
     * True when a line may be logged now (the caller logs it, with {@link #suppressed} lines left out before it);
     * false, counting one more left out, when a line was logged less than an interval ago. For lines that cost
     * something to build: nothing is built for the ones left out.
     */
    public synchronized boolean take(long now) {
        if (lastLogged != Long.MIN_VALUE && now - lastLogged < intervalNanos) {
            suppressed++;
            return false;
        }
        lastLogged = now;
        lastSuppressed = suppressed;
        suppressed = 0;
        return true;
    }

    /** Lines left out before the one {@link #take} last allowed. */
    public synchronized long suppressed() {
        return lastSuppressed;
    }

    /** Logs {@code message} with {@code arg} unless a line was logged less than an interval ago. */
    public synchronized void warn(long now, String message, Object arg) {
        if (lastLogged != Long.MIN_VALUE && now - lastLogged < intervalNanos) {
            suppressed++;
            return;
        }
        if (suppressed > 0) {
            log.warn(message + " ({} more since the last report)", arg, suppressed);
        } else {
            log.warn(message, arg);
        }
        lastLogged = now;
        suppressed = 0;
    }
}
