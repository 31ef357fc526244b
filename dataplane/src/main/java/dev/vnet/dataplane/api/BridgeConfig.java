package dev.vnet.dataplane.api;

import dev.vnet.dataplane.l2.Bridge;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.wire.MacAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * The bridges' configuration: creating a bridge, and its static FDB entries, at the loops' barrier. {@link Dataplane}'s
 * bridge methods, split off it; documented there.
 */
final class BridgeConfig {
    private static final Logger log = LoggerFactory.getLogger(Dataplane.class);

    private final Dataplane dp;

    BridgeConfig(Dataplane dp) {
        this.dp = dp;
    }

    void addBridge(String name, BridgeOptions options) {
        dp.call(() -> {
            dp.checkOpen();
            if (dp.bridges.containsKey(name)) {
                throw new IllegalArgumentException("bridge '" + name + "' already exists");
            }
            dp.bridges.put(name, new Bridge(name, options.fdbMaxEntries(), options.agingNanos(), dp.attachments));
            log.info("bridge {} created (fdb bound {}, aging {} s)", name, options.fdbMaxEntries(),
                    TimeUnit.NANOSECONDS.toSeconds(options.agingNanos()));
            return null;
        });
    }

    void addStaticFdb(String bridge, MacAddress mac, String portName) {
        long address = mac.value();
        if (mac.isGroup() || address == 0) {
            throw new IllegalArgumentException("static FDB entry needs a unicast MAC, got " + mac);
        }
        dp.call(() -> {
            Bridge b = dp.requireBridge(bridge);
            Port p = dp.ports.get(portName);
            if (p == null || dp.membership.get(p) != b) {
                throw new IllegalArgumentException("port '" + portName + "' is not on bridge '" + bridge + "'");
            }
            b.table().putStatic(address, p);
            log.info("static fdb entry {} -> {} on {}", mac, portName, bridge);
            return null;
        });
    }

    boolean removeFdb(String bridge, MacAddress mac) {
        return dp.call(() -> {
            boolean removed = dp.requireBridge(bridge).table().remove(mac.value());
            if (removed) {
                log.info("fdb entry {} on {} removed", mac, bridge);
            }
            return removed;
        });
    }
}
