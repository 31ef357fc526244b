package dev.vnet.dataplane.api;

import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.port.TapOptions;
import dev.vnet.dataplane.port.TapPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * A TAP port's life on the dataplane: opened and registered with the loops, closed and waited for, and removed when its
 * device vanishes. {@link Dataplane#addTapPort} and the uplinks of {@link RouterConfig} use it; documented there.
 */
final class TapPorts {
    private static final Logger log = LoggerFactory.getLogger(Dataplane.class);

    private final Dataplane dp;

    TapPorts(Dataplane dp) {
        this.dp = dp;
    }

    void addTapPort(String portName, String interfaceName, String bridge, TapOptions options) throws IOException {
        Bridge b = dp.call(() -> {
            dp.checkOpen();
            dp.checkNewPort(portName);
            return dp.requireBridge(bridge);
        });
        TapPort port = TapPort.open(dp.nextPortId(), portName, interfaceName, options, dp.tapSinks, dp.allocator);
        try {
            port.register(dp.loops.all()).get(Dataplane.CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            closeAndWait(port);
            throw new IOException("cannot register TAP " + interfaceName + " with the event loop: " + e.getMessage(), e);
        }
        port.onFailure(this::portFailed);
        dp.call(() -> {
            dp.ports.put(portName, port);
            b.attach(port);
            dp.membership.put(port, b);
            log.info("port {} (tap {}) attached to bridge {}", portName, port.interfaceName(), bridge);
            return null;
        });
    }

    /** Closes {@code port} at the barrier and waits until every queue is closed (its TAP is gone). */
    void closeAndWait(TapPort port) {
        dp.call(() -> {
            port.close();
            return null;
        });
        waitClosed(port);
    }

    static void waitClosed(TapPort port) {
        try {
            port.closedFuture().get(Dataplane.CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("port {}: its queues did not close within {} s: {}", port.name(), Dataplane.CALL_TIMEOUT_SECONDS,
                    e.toString());
        }
    }

    void portFailed(TapPort port, String why) {
        // Runs on the loop of the queue that saw the device vanish (its namespace was deleted): the port goes, the
        // others stay. Removal changes what every loop reads, so it waits for the barrier; each queue of the port
        // reports, only the first removes it.
        dp.loops.executeAtBarrier(() -> {
            if (dp.ports.get(port.name()) == port) {
                dp.ports.remove(port.name());
                dp.detachAndClose(port);
                log.warn("port {} removed: {}", port.name(), why);
            }
        });
    }
}
