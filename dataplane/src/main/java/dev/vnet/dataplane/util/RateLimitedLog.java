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

    /** A limiter that lets one line through every {@code intervalNanos}. */
    public RateLimitedLog(Logger log, long intervalNanos) {
        this.log = log;
        this.intervalNanos = intervalNanos;
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
