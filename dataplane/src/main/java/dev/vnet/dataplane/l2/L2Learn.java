package dev.vnet.dataplane.l2;

import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;

/** Learns the frame's source MAC on its ingress port (refreshing age, recording station moves). */
final class L2Learn extends Stage {
    private final MacTable table;
    private final L2Forward next;

    L2Learn(MacTable table, L2Forward next) {
        this.table = table;
        this.next = next;
    }

    @Override
    public Stage process(Frame frame) {
        table.learn(Ethernet.src(frame.buf(), frame.start()), frame.inPort(), frame.now());
        return frame.traced() ? next : next.process(frame); // see Frame.traced()
    }

    @Override
    public String explain(Frame frame) {
        long src = Ethernet.src(frame.buf(), frame.start());
        var port = table.lookup(src, frame.now());
        return port == null ? "source " + dev.vnet.dataplane.wire.MacAddr.toString(src) + " not learned (table full)"
                : "source " + dev.vnet.dataplane.wire.MacAddr.toString(src) + " learned on " + port.name();
    }
}
