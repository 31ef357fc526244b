package dev.vnet.dataplane.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The leak check is only worth something if it fails on a leak: leak one buffer on purpose and see it caught. */
class LeakCheckTest {
    @Test
    void aBufferDroppedWithoutReleaseFailsTheCheck() {
        assertTrue(LeakCheck.installed(), "the leak listener is installed at launcher start");
        leakOne();
        AssertionFailedError e = assertThrows(AssertionFailedError.class, LeakCheck::assertNoLeaks);
        assertTrue(e.getMessage().contains("leak"), e.getMessage());
        LeakCheck.assertNoLeaks(); // the report was consumed: a clean state again
    }

    private static void leakOne() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        b.writeLong(42); // touched and never released
    }
}
