package dev.vnet.dataplane.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The leak check is only worth something if it fails on a leak: leak buffers on purpose and see them caught, taking
 * only the reports of those buffers (each touched with a marker of its own), never another test's.
 */
class LeakCheckTest {
    /** Set only while {@link #aTestClassThatLeaksFailsEvenWithoutCheckingItself} runs {@link Leaky}. */
    private static volatile String leakyMarker;

    @Test
    void aBufferDroppedWithoutReleaseIsReported() {
        assertTrue(LeakCheck.installed(), "the leak listener is installed at launcher start");
        String marker = "deliberate-leak-" + UUID.randomUUID();
        leakOne(marker);
        List<String> mine = LeakCheck.takeLeaksContaining(marker);
        assertEquals(1, mine.size(), "the leaked buffer was reported once: " + mine);
    }

    @Test
    void aTestClassThatLeaksFailsEvenWithoutCheckingItself() {
        LeakCheck.assertNoLeaks(); // leaks of earlier classes are theirs, not the inner run's
        leakyMarker = "deliberate-leak-" + UUID.randomUUID();
        try {
            List<Event> failed = EngineTestKit.engine("junit-jupiter")
                    .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
                    .selectors(selectClass(Leaky.class)).execute()
                    .containerEvents().failed().list();
            assertEquals(1, failed.size(), "the leaky class failed as a whole: " + failed);
            Throwable why = failed.get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class)
                    .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).orElseThrow();
            assertTrue(why.getMessage().contains(leakyMarker), "with the leak's report: " + why.getMessage());
        } finally {
            leakyMarker = null;
        }
    }

    static boolean runByTheOuterTest() {
        return leakyMarker != null;
    }

    /** A test class that leaks a buffer and never calls the leak check: run only by the test above. */
    @EnabledIf("dev.vnet.dataplane.testing.LeakCheckTest#runByTheOuterTest")
    static class Leaky {
        @Test
        void leaks() {
            leakOne(leakyMarker);
        }
    }

    private static void leakOne(String marker) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        b.writeLong(42); // touched and never released
        b.touch(marker);
    }
}
