package dev.vnet.dataplane.util;

/**
 * The Netty settings a vnet dataplane runs with, applied by the {@code vnet} command before any Netty class loads
 * (and by the JMH benchmarks' JVMs, so they measure what runs); each only where the user has not set the property.
 *
 * <ul>
 * <li>{@code io.netty.leakDetection.level=disabled}: Netty's default samples one buffer in 128 and wraps it in a
 *     leak-tracking buffer, which makes the buffer accesses in the stages polymorphic (JMH: MASQUERADE 188 ns per
 *     frame with it, 152 without). Buffer ownership is checked where it can be instead: every test and fuzz run
 *     uses paranoid leak detection on every buffer.
 * <li>{@code io.netty.buffer.checkAccessible=false}: Netty checks the reference count on every read of a field;
 *     the pipeline owns each buffer while its stages run, so the check cannot fail there (tests keep it on). Bounds
 *     checks stay on: they are what guards against malformed frames.
 * </ul>
 */
public final class NettyDefaults {
    /** Netty's leak detection level property. */
    public static final String LEAK_DETECTION = "io.netty.leakDetection.level";
    /** Netty's property for checking the reference count on every buffer access. */
    public static final String CHECK_ACCESSIBLE = "io.netty.buffer.checkAccessible";
    /** The JVM argument setting {@link #LEAK_DETECTION} as vnet does. */
    public static final String LEAK_DETECTION_ARG = "-D" + LEAK_DETECTION + "=disabled";
    /** The JVM argument setting {@link #CHECK_ACCESSIBLE} as vnet does. */
    public static final String CHECK_ACCESSIBLE_ARG = "-D" + CHECK_ACCESSIBLE + "=false";

    private NettyDefaults() {
    }

    /** Sets each system property the user left unset; call before any Netty class loads. */
    public static void apply() {
        apply(System.getProperties());
    }

    /** Sets each of the settings in {@code properties} that is not set there already. */
    public static void apply(java.util.Properties properties) {
        properties.putIfAbsent(LEAK_DETECTION, "disabled");
        properties.putIfAbsent(CHECK_ACCESSIBLE, "false");
    }
}
