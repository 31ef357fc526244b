package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.port.Port;

/** Output of a routed interface that is a port of its own (an uplink): straight out of that port. */
final class PortOutput extends Stage {
    private final Port port;

    PortOutput(Port port) {
        this.port = port;
    }

    @Override
    protected Stage process(Frame frame) {
        return frame.forward(port);
    }
}
