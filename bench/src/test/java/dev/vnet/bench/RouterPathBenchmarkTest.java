package dev.vnet.bench;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The router benchmarks measure real forwarding: every frame reaches the end of its path, none dropped or leaked. */
class RouterPathBenchmarkTest {
    @Test
    void everyFrameOfEveryPathIsDeliveredAndNoReferenceIsLost() {
        for (String path : new String[] {"routed", "masquerade", "dnat", "routed6", "masquerade6", "dnat6"}) {
            RouterPathBenchmark b = new RouterPathBenchmark();
            b.path = path;
            b.setUp();
            try {
                for (int i = 0; i < 100; i++) {
                    b.route();
                }
                long offered = 100L * RouterPathBenchmark.BATCH;
                assertEquals(0, b.pipeline().dropped(), path + ": nothing dropped");
                assertEquals(offered, b.delivered(), path + ": every frame handed to the far port");
                assertEquals(offered, BenchFramesTest.referencesReleased(b.frames()),
                        path + ": each use's reference was released by the egress port");
            } finally {
                b.tearDown();
            }
            for (ByteBuf f : b.frames()) {
                assertEquals(0, f.refCnt(), path + ": freed at tear-down");
            }
        }
    }

    @Test
    void withRulesAndNewConnectionsEveryFrameStillArrivesAndOpensItsOwnConnection() {
        for (String path : new String[] {"routed", "masquerade6"}) {
            RouterPathBenchmark b = new RouterPathBenchmark();
            b.path = path;
            b.rules = 10_000;
            b.connections = "new";
            b.setUp();
            try {
                for (int i = 0; i < 100; i++) {
                    b.route();
                }
                long offered = 100L * RouterPathBenchmark.BATCH;
                assertEquals(0, b.pipeline().dropped(), path + ": nothing dropped (no rule matches these flows)");
                assertEquals(offered, b.delivered(), path + ": every frame handed to the far port");
                assertEquals(offered, b.connectionsCreated(), path + ": every frame opened a connection");
                assertEquals(10_000, b.policyRules(), path + ": the rules are in place");
            } finally {
                b.tearDown();
            }
        }
    }

    @Test
    void tablesHoldWhatTheLookupBenchmarkPutsInThem() {
        TableLookupBenchmark t = new TableLookupBenchmark();
        t.size = 1000;
        t.setUp();
        assertEquals(1000, t.connectionCount());
        assertEquals(1000, t.neighborCount());
        assertTrue(t.connection() >= 0, "a present connection is found");
        assertTrue(t.neighbor() > 0, "a present neighbor is found");
    }
}
