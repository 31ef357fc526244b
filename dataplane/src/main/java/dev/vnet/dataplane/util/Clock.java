package dev.vnet.dataplane.util;

/**
 * Monotonic time in nanoseconds. Tables age against this, so tests drive aging with a manual clock instead of sleeping.
 * The pipeline reads it once per read batch, not per frame.
 */
@FunctionalInterface
public interface Clock {
    /** The system's monotonic clock. */
    Clock SYSTEM = System::nanoTime;

    /** Current time in nanoseconds; only differences are meaningful. */
    long nanos();
}
