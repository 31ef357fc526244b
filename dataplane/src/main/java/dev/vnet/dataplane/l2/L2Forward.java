package dev.vnet.dataplane.l2;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.MacAddr;

/**
 * Forwarding decision: a known unicast destination goes to its port; broadcast, multicast and unknown unicast are
 * flooded to every member but the ingress port; a destination learned on the ingress port is dropped (no reflection).
 */
final class L2Forward implements Stage {
    private final Bridge bridge;

    L2Forward(Bridge bridge) {
        this.bridge = bridge;
    }

    @Override
    public Stage process(Frame frame) {
        long dst = Ethernet.dst(frame.buf(), frame.start());
        if (MacAddr.isGroup(dst)) {
            return frame.flood(bridge.members());
        }
        Port out = bridge.table().lookup(dst, frame.now());
        if (out == null) {
            return frame.flood(bridge.members());
        }
        if (out == frame.inPort()) {
            return frame.drop(DropReason.SAME_PORT);
        }
        return frame.forward(out);
    }
}
