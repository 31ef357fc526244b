package dev.vnet.bench;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The benchmark measures real forwarding: every frame it offers is forwarded to one port, none dropped or leaked. */
class BridgeForwardBenchmarkTest {
    @Test
    void everyFrameIsForwardedAndNoReferenceIsLost() {
        BridgeForwardBenchmark b = new BridgeForwardBenchmark();
        b.tableSize = 1024;
        b.setUp();
        try {
            for (int i = 0; i < 100; i++) {
                b.knownUnicast();
            }
            long offered = 100L * BridgeForwardBenchmark.BATCH;
            assertEquals(offered, b.pipeline().received());
            assertEquals(offered, b.pipeline().forwarded(), "all known unicast, all forwarded");
            assertEquals(offered, b.forwarded());
            assertEquals(offered, BenchFramesTest.referencesReleased(b.frames()),
                    "each use's reference was released by the egress port");
        } finally {
            b.tearDown();
        }
        for (ByteBuf f : b.frames()) {
            assertEquals(0, f.refCnt(), "freed at tear-down");
        }
    }
}
