package dev.vnet.dataplane.testing;

import dev.vnet.dataplane.util.Clock;

import java.util.concurrent.TimeUnit;

/** A clock that moves only when told to, so aging and timeouts are tested without sleeping. */
public final class ManualClock implements Clock {
    private volatile long now = TimeUnit.HOURS.toNanos(1);

    @Override
    public long nanos() {
        return now;
    }

    /** Moves time forward. */
    public void advance(long amount, TimeUnit unit) {
        now += unit.toNanos(amount);
    }
}
