package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Arp;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;

import java.util.function.IntFunction;

/**
 * Last router stage: the next hop's MAC from the neighbor table, the interface's own MAC as source, then on to the
 * interface's output (into its bridge, or out of its uplink port). An unresolved next hop gets the frame queued and,
 * the first time, an ARP request.
 */
final class NeighborOutput extends Stage {
    private final RouterTables tables;

    NeighborOutput(RouterTables tables) {
        this.tables = tables;
    }

    @Override
    protected Stage process(Frame frame) {
        RouterInterface out = tables.iface(frame.outInterface());
        int hop = frame.nextHop();
        NeighborTable neighbors = tables.neighbors();
        long mac = neighbors.macFor(hop, frame.now());
        if (mac != NeighborTable.UNRESOLVED) {
            if (frame.traced()) {
                note(frame, neighbors, hop, "");
            }
            Ethernet.setAddresses(frame.buf(), frame.start(), mac, out.mac());
            frame.setL2InPort(out.port());
            return out.output();
        }
        Ethernet.setSrc(frame.buf(), frame.start(), out.mac()); // the destination once ARP answers
        NeighborTable.Enqueued queued = neighbors.enqueue(hop, out.index(), frame.buf(), frame.offload(), frame.now());
        if (frame.traced()) {
            note(frame, neighbors, hop, ": frame queued until ARP resolves it");
        }
        return switch (queued) {
            case NEW -> {
                frame.inject(out.port(), out.output(), arpRequest(frame::allocate, out, hop));
                yield frame.consume();
            }
            case QUEUED -> frame.consume();
            case QUEUE_FULL -> frame.drop(DropReason.NEIGHBOR_QUEUE_FULL);
            case TABLE_FULL -> frame.drop(DropReason.NEIGHBOR_TABLE_FULL);
        };
    }

    /** For a decision trace: the next hop's neighbor state, as {@code ip neigh} shows it. */
    private static void note(Frame frame, NeighborTable neighbors, int hop, String then) {
        var state = neighbors.stateOf(hop);
        frame.note("neighbor " + Ipv4Addr.toString(hop) + " " + (state == null ? "unknown" : state.name()) + then);
    }

    /** Builds a broadcast ARP request for {@code target} from {@code iface}. */
    static ByteBuf arpRequest(IntFunction<ByteBuf> allocate, RouterInterface iface, int target) {
        ByteBuf req = allocate.apply(Ethernet.HEADER_LEN + Arp.LENGTH);
        req.writerIndex(Ethernet.HEADER_LEN + Arp.LENGTH);
        Ethernet.setDst(req, 0, MacAddr.BROADCAST);
        Ethernet.setSrc(req, 0, iface.mac());
        Ethernet.setType(req, 0, Ethernet.TYPE_ARP);
        int src = RouterTables.sourceFor(iface, target);
        Arp.write(req, Ethernet.HEADER_LEN, Arp.OP_REQUEST, iface.mac(), src, 0, target);
        return req;
    }
}
