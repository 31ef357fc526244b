package dev.vnet.dataplane.l2;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;

/**
 * First bridge stage: the Ethernet header must be whole, and the source must be a station (not a group address, not
 * zero), as IEEE 802.1D requires before a frame may be learned from or forwarded; and a tenant's router
 * advertisement ({@link RaGuard}) or claim to the router's address ({@link NdGuard}) goes no further.
 */
final class BridgeInput extends Stage {
    private final L2Learn next;
    private final NdGuard ndGuard;

    BridgeInput(L2Learn next, NdGuard ndGuard) {
        this.next = next;
        this.ndGuard = ndGuard;
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
        if (ndGuard.refuses(frame)) {
            return frame.drop(DropReason.ND_SPOOF);
        }
        return next.run(frame);
    }
}
