package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;

/** Entry for frames the router builds and injects: they are untagged, so the IPv4 header follows Ethernet's. */
final class LocalOutput extends Stage {
    private final Router router;

    LocalOutput(Router router) {
        this.router = router;
    }

    @Override
    public Stage process(Frame frame) {
        frame.setL3Offset(frame.start() + Ethernet.HEADER_LEN);
        return router.ipv4Output;
    }
}
