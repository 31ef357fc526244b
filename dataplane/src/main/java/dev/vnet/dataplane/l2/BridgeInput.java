package dev.vnet.dataplane.l2;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;

/**
 * First bridge stage: the Ethernet header must be whole, and the source must be a station (not a group address, not
 * zero), as IEEE 802.1D requires before a frame may be learned from or forwarded; and a tenant's router
 * advertisement goes no further ({@link RaGuard}).
 */
final class BridgeInput extends Stage {
    private final L2Learn next;

    BridgeInput(L2Learn next) {
        this.next = next;
    }

    @Override
    protected Stage process(Frame frame) {
        DropReason bad = Ethernet.checkFromStation(frame.buf(), frame.start(), frame.length());
        if (bad != null) {
            return frame.drop(bad);
        }
        if (RaGuard.refuses(frame)) {
            return frame.drop(DropReason.RA_GUARD);
        }
        return next.run(frame);
    }
}
