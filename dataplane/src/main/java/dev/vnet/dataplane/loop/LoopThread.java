package dev.vnet.dataplane.loop;

import io.netty.util.concurrent.FastThreadLocalThread;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The thread of one dataplane event loop, carrying the loop's index (0 .. loops-1).
 *
 * <p>Per-loop state (a port's counters, its queue for that loop) is found by {@link #currentIndex()}: one type check
 * and one field read, so the per-frame path needs neither a thread-local map nor a parameter threaded through every
 * stage. Any other thread (a test driving a pipeline directly, a benchmark) counts as loop 0.
 */
public final class LoopThread extends FastThreadLocalThread {
    /** The most loops a dataplane may have (per-loop arrays are sized by it). */
    public static final int MAX_LOOPS = 64;

    private final int index;

    private LoopThread(Runnable task, String name, int index) {
        super(task, name);
        this.index = index;
        setDaemon(false);
    }

    /** This loop's index. */
    public int index() {
        return index;
    }

    /** The index of the loop running the caller, or 0 when the caller is not a loop thread. */
    public static int currentIndex() {
        return Thread.currentThread() instanceof LoopThread t ? t.index : 0;
    }

    /** A factory making threads {@code prefix-0}, {@code prefix-1}, ... with indexes 0, 1, ... in creation order. */
    public static ThreadFactory factory(String prefix) {
        AtomicInteger next = new AtomicInteger();
        return task -> {
            int i = next.getAndIncrement();
            if (i >= MAX_LOOPS) {
                throw new IllegalStateException("more than " + MAX_LOOPS + " dataplane loops");
            }
            return new LoopThread(task, prefix + "-" + i, i);
        };
    }
}
