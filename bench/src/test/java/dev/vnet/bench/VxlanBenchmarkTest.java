package dev.vnet.bench;

import dev.vnet.dataplane.wire.Offload;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The VXLAN benchmark does real work: 47 segments out of a super-frame, and one super-frame back out of them. */
class VxlanBenchmarkTest {
    @Test
    void aSuperFrameBecomesItsDatagramsAndTheirBatchOneSuperFrameAgain() throws Exception {
        VxlanBenchmark b = new VxlanBenchmark();
        b.setUp();
        try {
            assertEquals(47, VxlanBenchmark.SEGMENTS);
            assertEquals(VxlanBenchmark.SEGMENTS, b.encapsulateSuperFrame(), "segments' headers written");
            assertEquals(VxlanBenchmark.SEGMENTS, b.encapsulateSuperFrameCopying(), "segments cut whole");
            assertEquals(1, b.decapsulateGroBatch(), "the batch is joined into one frame");
            long offload = b.lastOffload();
            assertTrue(Offload.isGso(offload) && Offload.gsoSize(offload) == VxlanBenchmark.MSS,
                    "a TCP super-frame of the original MSS: " + Offload.describe(offload));
            assertEquals(1, b.decapsulateDatagram(), "a lone datagram is handed on");
            assertEquals(0, b.lastOffload(), "as a plain frame");
        } finally {
            b.tearDown();
        }
    }
}
