package dev.vnet.dataplane.l2;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.MacAddr;

/**
 * Forwarding decision: a known unicast destination goes to its port; broadcast, multicast and unknown unicast are
 * flooded to every member that floods but the port the frame entered the bridge by (and that port's split-horizon
 * group); a destination learned on that side is dropped (no reflection). The router hands frames to this stage
 * directly (its port is the entry port then). On a bridge that filters what it switches, a unicast frame between two
 * ports other than the router's then goes to the filter ({@link Bridge#switchedFilter}), which may refuse it.
 */
final class L2Forward extends Stage {
    private final Bridge bridge;

    L2Forward(Bridge bridge) {
        this.bridge = bridge;
    }

    @Override
    protected Stage process(Frame frame) {
        long dst = Ethernet.dst(frame.buf(), frame.start());
        if (MacAddr.isGroup(dst)) {
            return frame.flood(bridge.floodMembers());
        }
        Port out = bridge.table().lookup(dst, frame.now());
        if (out == null) {
            frame.flood(bridge.floodMembers());
            return bridge.switchedFilter(frame.l2InPort(), null);
        }
        if (out.sameSide(frame.l2InPort())) {
            return frame.drop(DropReason.SAME_PORT);
        }
        frame.forward(out);
        return bridge.switchedFilter(frame.l2InPort(), out);
    }
}
