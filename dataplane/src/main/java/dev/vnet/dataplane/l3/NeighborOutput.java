package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;

/**
 * Last router stage: the next hop's MAC from the neighbor table, the interface's own MAC as source, then on to the
 * interface's output (into its bridge, or out of its uplink port). An unresolved next hop gets the frame queued and,
 * the first time, an ARP request.
 */
final class NeighborOutput extends Stage {
    private final Router router;

    NeighborOutput(Router router) {
        this.router = router;
    }

    @Override
    public Stage process(Frame frame) {
        RouterInterface out = router.iface(frame.outInterface());
        int hop = frame.nextHop();
        long mac = router.neighbors().macFor(hop, frame.now());
        if (mac != NeighborTable.UNRESOLVED) {
            Ethernet.setAddresses(frame.buf(), frame.start(), mac, out.mac());
            frame.setL2InPort(out.port());
            return out.output();
        }
        Ethernet.setSrc(frame.buf(), frame.start(), out.mac()); // the destination once ARP answers
        return switch (router.neighbors().enqueue(hop, out.index(), frame.buf(), frame.offload(), frame.now())) {
            case NEW -> {
                frame.inject(out.port(), out.output(), router.arpRequest(frame::allocate, out, hop));
                yield frame.consume();
            }
            case QUEUED -> frame.consume();
            case QUEUE_FULL -> frame.drop(DropReason.NEIGHBOR_QUEUE_FULL);
            case TABLE_FULL -> frame.drop(DropReason.NEIGHBOR_TABLE_FULL);
        };
    }

    @Override
    public String explain(Frame frame) {
        var state = router.neighbors().stateOf(frame.nextHop());
        String hop = dev.vnet.dataplane.wire.Ipv4Addr.toString(frame.nextHop());
        return "neighbor " + hop + " " + (state == null ? "unknown" : state.name())
                + (frame.verdict() == dev.vnet.dataplane.pipeline.Verdict.CONSUMED
                ? ": frame queued until ARP resolves it" : "");
    }
}
