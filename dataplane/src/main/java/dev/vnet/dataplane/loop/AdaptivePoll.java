package dev.vnet.dataplane.loop;

import io.netty.channel.SelectStrategy;
import io.netty.util.IntSupplier;

/**
 * An event loop's select strategy that keeps polling epoll without sleeping for a short window after the last ready
 * event, then sleeps in epoll_wait until the next one (VPP's adaptive mode, NAPI's busy poll): under steady traffic
 * the loop is not put to sleep and woken for every frame, and an idle loop costs nothing. One per loop.
 */
final class AdaptivePoll implements SelectStrategy {
    private final long windowNanos;
    private long lastReady = Long.MIN_VALUE / 2;

    AdaptivePoll() {
        this.windowNanos = PollMode.ADAPTIVE_WINDOW_MICROS * 1000L;
    }

    @Override
    public int calculateStrategy(IntSupplier selectSupplier, boolean hasTasks) throws Exception {
        int ready = selectSupplier.get(); // epoll_wait without a timeout
        long now = System.nanoTime();
        if (ready > 0) {
            lastReady = now;
            return ready;
        }
        if (hasTasks) {
            return 0; // run the tasks, then come back
        }
        return now - lastReady < windowNanos ? SelectStrategy.CONTINUE : SelectStrategy.SELECT;
    }
}
