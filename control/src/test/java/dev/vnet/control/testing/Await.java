package dev.vnet.control.testing;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Waiting for a condition, not for a time: a probe polled until it holds or a bound runs out. */
public final class Await {
    private static final long POLL_MILLIS = 50;

    private Await() {
    }

    /**
     * Polls {@code probe} every 50 ms until {@code done} holds for its value or {@code timeoutMillis} passed, and
     * returns the last value probed: the caller asserts on it, so a timeout fails with what was last seen.
     */
    public static <T> T until(long timeoutMillis, Callable<T> probe, Predicate<T> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        T value = probe.call();
        while (!done.test(value) && System.nanoTime() < deadline) {
            Thread.sleep(POLL_MILLIS);
            value = probe.call();
        }
        return value;
    }

    /** Joins {@code t} for up to {@code timeoutMillis} and fails, naming it, if it is still running then. */
    public static void joined(Thread t, long timeoutMillis) throws InterruptedException {
        t.join(timeoutMillis);
        if (t.isAlive()) {
            t.interrupt();
            throw new AssertionError("worker thread " + t.getName() + " still running after " + timeoutMillis
                    + " ms (hung?)");
        }
    }
}
