package dev.vnet.dataplane.api;

import dev.vnet.dataplane.l2.Bridge;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * The dataplane's periodic work, at the loops' barrier: table aging (bridges' MAC tables and tracked connections,
 * every second) and the router's tick (ARP and neighbour solicitations retried or failed, every 200 ms); scheduled
 * on a live dataplane, run on demand on an offline one whose clock the caller moves.
 */
final class DataplaneTimers {
    private final Dataplane dp;
    private ScheduledFuture<?> agingTask;
    private ScheduledFuture<?> routerTask;

    DataplaneTimers(Dataplane dp) {
        this.dp = dp;
    }

    /** Schedules the periodic work on the loops. */
    void schedule() {
        agingTask = dp.loops.scheduleAtBarrier(this::expireTables, 1, TimeUnit.SECONDS);
        routerTask = dp.loops.scheduleAtBarrier(this::routerTick, 200, TimeUnit.MILLISECONDS);
    }

    /** Runs the periodic work once, now; the caller is at the barrier. */
    void runNow() {
        expireTables();
        routerTick();
    }

    /** Stops the scheduled work, if any. */
    void cancel() {
        if (agingTask != null) {
            agingTask.cancel(false);
            routerTask.cancel(false);
        }
    }

    private void routerTick() {
        dp.pipeline.beginBatch();
        try {
            dp.router.tick(dp.pipeline.now(), dp.pipeline);
        } finally {
            dp.pipeline.endBatch();
        }
    }

    private void expireTables() {
        long now = dp.clock.nanos();
        for (Bridge b : dp.bridges.values()) {
            b.table().expire(now);
        }
        dp.router.conntrack().expire(now);
    }
}
