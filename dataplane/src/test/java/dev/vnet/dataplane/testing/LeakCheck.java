package dev.vnet.dataplane.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Turns Netty's leak reports into test failures. Netty's detector (paranoid in tests, see the surefire argLine)
 * reports a buffer that was garbage-collected without being released; this class collects those reports and
 * {@link #assertNoLeaks} forces collection and fails on any. {@link LeakCheckExtension} calls it after every test
 * class of a run.
 */
public final class LeakCheck {
    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
    private static volatile boolean installed;

    private LeakCheck() {
    }

    static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory delegate = ResourceLeakDetectorFactory.instance();
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                       long maxActive) {
                ResourceLeakDetector<T> detector = delegate.newResourceLeakDetector(resource, samplingInterval,
                        maxActive);
                detector.setLeakListener((type, records) -> LEAKS.add(type + " leaked:\n" + records));
                return detector;
            }
        });
    }

    /** True when the listener is in place (the test JVM was started through the JUnit launcher). */
    public static boolean installed() {
        return installed;
    }

    /** Collects garbage, lets the detector look, and fails if any buffer was lost without a release. */
    public static void assertNoLeaks() {
        collect();
        if (!LEAKS.isEmpty()) {
            List<String> found = new ArrayList<>(LEAKS);
            LEAKS.removeAll(found);
            fail(found.size() + " buffer leak(s) detected:\n" + String.join("\n", found));
        }
    }

    /**
     * Collects garbage until a leak report containing {@code marker} (a hint the leaked buffer was touched with)
     * comes, at most a few rounds, and takes those reports only: the deliberate leak of a test of the leak check,
     * without touching what other tests leaked.
     */
    public static List<String> takeLeaksContaining(String marker) {
        List<String> mine = new ArrayList<>();
        for (int round = 0; round < 10 && mine.isEmpty(); round++) {
            collect();
            for (String leak : LEAKS) {
                if (leak.contains(marker)) {
                    mine.add(leak);
                }
            }
        }
        LEAKS.removeAll(mine);
        return mine;
    }

    private static void collect() {
        for (int round = 0; round < 5; round++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            // The detector reports what the collector found when a new buffer is tracked.
            for (int i = 0; i < 4; i++) {
                ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                probe.release();
            }
        }
    }
}
