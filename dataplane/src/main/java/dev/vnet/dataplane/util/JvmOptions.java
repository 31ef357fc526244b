package dev.vnet.dataplane.util;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.stream.Collectors;

/**
 * The JVM options the {@code vnet} launcher starts the dataplane with ({@code scripts/jvm-options.sh}, which leaves
 * out a collector when the user chose one), and the benchmarks fork with, so they measure what runs. Unlike
 * {@link NettyDefaults} these cannot be set once the JVM runs.
 *
 * <p>{@link #GC}: the parallel collector. The dataplane allocates nothing per frame, so what a collector costs it is
 * the write barrier after every reference store (the frame's ports, the queues' buffers), not pauses. The parallel
 * collector's barrier is one card-table store; G1's, the JVM's choice on two or more cores, checks regions and the
 * card and, for a reference into an old object from another region, fences memory. Measured with JMH on
 * 2026-11-24 (pinned, 3 forks, two rounds): routed 88.9-89.1 ns per frame under G1 against 80.4-81.6 under the
 * parallel collector, MASQUERADE 98.8-100.4 against 91.5-92.1. On one core the JVM picks the serial collector,
 * whose barrier is the parallel one's: the benchmarks, pinned to a core, measured that until they named the
 * collector.
 */
public final class JvmOptions {
    /** The collector option. */
    public static final String GC = "-XX:+UseParallelGC";

    private JvmOptions() {
    }

    /** The collectors this JVM runs, by their management names (e.g. {@code PS Scavenge, PS MarkSweep}). */
    public static String collectors() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                .collect(Collectors.joining(", "));
    }
}
