package dev.vnet.control.capture;

import dev.vnet.control.topology.CaptureSpec;
import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.api.CaptureEntry;
import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.l3.RouterLimits;
import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.wire.Ethernet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A capture from the topology whose file cannot be written (here a full disk: the file is a link to /dev/full) is
 * failed, unhooked at once and listed as failed with the error, instead of filling a ring nobody drains.
 */
class CaptureRecorderFailureTest {
    private Dataplane dp;
    private Path dir;

    @AfterEach
    void tearDown() throws Exception {
        if (dp != null) {
            dp.close();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
        LeakCheck.assertNoLeaks();
    }

    @Test
    void aCaptureWhoseFileFailsIsUnhookedAndReportedAsFailed() throws Exception {
        dir = Files.createTempDirectory("vnet-capture-fail");
        Path file = Files.createSymbolicLink(dir.resolve("full.pcapng"), Path.of("/dev/full"));
        dp = Dataplane.startOffline(() -> 0L, RouterLimits.defaults(), 1);
        dp.addBridge("br0", BridgeOptions.defaults());
        dp.addMemoryPort("a", "br0");
        dp.addMemoryPort("b", "br0");
        CaptureSpec spec = new CaptureSpec(List.of("a"), file, "", "both", false, 0, 1);
        try (CaptureRecorder recorder = CaptureRecorder.start(dp, spec)) {
            CaptureEntry state = null;
            for (int i = 0; i < 200 && (state == null || !"failed".equals(state.state())); i++) {
                dp.inject("a", FrameBuilder.ethernet(0x02_00_00_00_00_0BL, 0x02_00_00_00_00_0AL,
                        Ethernet.TYPE_IPV4, new byte[46]));
                Thread.sleep(20);
                List<CaptureEntry> captures = dp.captures();
                state = captures.isEmpty() ? null : captures.get(0);
            }
            assertTrue(state != null && "failed".equals(state.state()),
                    "the capture is listed as failed: " + dp.captures());
            assertTrue(String.valueOf(state.error()).contains("No space left on device"),
                    "with the write error: " + state);
            assertEquals(1, dp.captures().size(), "and no capture is left running: " + dp.captures());
            long captured = state.captured();
            dp.inject("a", FrameBuilder.ethernet(0x02_00_00_00_00_0BL, 0x02_00_00_00_00_0AL, Ethernet.TYPE_IPV4,
                    new byte[46]));
            assertEquals(captured, dp.captures().get(0).captured(),
                    "an unhooked capture takes no more frames");
            assertTrue(recorder.summary().contains("FAILED"), recorder.summary());
        }
        dp.drainSent("b").forEach(io.netty.buffer.ByteBuf::release);
    }
}
