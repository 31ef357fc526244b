package dev.vnet.dataplane.l2;

import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.MacAddr;

/**
 * Learns the frame's source MAC on its ingress port (refreshing age, recording station moves), unless the port does not
 * learn (a VXLAN tunnel with learning off, as the kernel's {@code nolearning}).
 */
final class L2Learn extends Stage {
    private final MacTable table;
    private final L2Forward next;

    L2Learn(MacTable table, L2Forward next) {
        this.table = table;
        this.next = next;
    }

    @Override
    protected Stage process(Frame frame) {
        if (!frame.inPort().learning()) {
            if (frame.traced()) {
                frame.note("not learning on " + frame.inPort().name());
            }
            return next.run(frame);
        }
        long src = Ethernet.src(frame.buf(), frame.start());
        Port on = table.learn(src, frame.inPort(), frame.now());
        if (frame.traced()) {
            frame.note("source " + MacAddr.toString(src) + (on == null ? " not learned (table full)"
                    : " learned on " + on.name()));
        }
        return next.run(frame);
    }
}
