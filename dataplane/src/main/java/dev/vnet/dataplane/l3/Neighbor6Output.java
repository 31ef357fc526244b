package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.Ndp;
import io.netty.buffer.ByteBuf;

import java.util.function.IntFunction;

/**
 * Last stage of the IPv6 router, as {@link NeighborOutput} is of the IPv4 one: the next hop's MAC from the neighbour
 * cache, the interface's own as source, then on to the interface's output. An unresolved next hop gets the frame
 * queued (bounded, {@link NeighborTable}) and, the first time, a neighbour solicitation to its solicited-node group
 * (RFC 4861 section 7.2.2); the router's timer repeats it and, when nothing answers, sends the queued packets'
 * senders ICMPv6 address unreachable.
 */
final class Neighbor6Output extends Stage {
    private static final int NS_LEN = 24 + 8; // the message and one source link-layer address option

    private final RouterTables tables;

    Neighbor6Output(RouterTables tables) {
        this.tables = tables;
    }

    @Override
    protected Stage process(Frame frame) {
        RouterInterface out = tables.iface(frame.outInterface());
        long hi = frame.nextHopHi();
        long lo = frame.nextHopLo();
        NeighborTable neighbors = tables.neighbors6();
        long mac = neighbors.macFor(hi, lo, frame.now());
        if (mac != NeighborTable.UNRESOLVED) {
            if (frame.traced()) {
                note(frame, neighbors, hi, lo, "");
            }
            Ethernet.setAddresses(frame.buf(), frame.start(), mac, out.mac());
            frame.setL2InPort(out.port());
            return out.output();
        }
        Ethernet.setSrc(frame.buf(), frame.start(), out.mac()); // the destination once the neighbour answers
        NeighborTable.Enqueued queued = neighbors.enqueue(hi, lo, out.index(), frame.buf(), frame.offload(),
                frame.now());
        if (frame.traced()) {
            note(frame, neighbors, hi, lo, ": frame queued until neighbour discovery resolves it");
        }
        return switch (queued) {
            case NEW -> {
                frame.inject(out.port(), out.output(), solicitation(frame::allocate, tables, out, hi, lo));
                yield frame.consume();
            }
            case QUEUED -> frame.consume();
            case QUEUE_FULL -> frame.drop(DropReason.NEIGHBOR_QUEUE_FULL);
            case TABLE_FULL -> frame.drop(DropReason.NEIGHBOR_TABLE_FULL);
        };
    }

    /** For a decision trace: the next hop's neighbour state, as {@code ip -6 neigh} shows it. */
    private static void note(Frame frame, NeighborTable neighbors, long hi, long lo, String then) {
        var state = neighbors.stateOf(hi, lo);
        frame.note("neighbour " + new Ipv6Address(hi, lo) + " " + (state == null ? "unknown" : state.name()) + then);
    }

    /**
     * A neighbour solicitation for {@code targetHi:targetLo} from {@code iface}: to the target's solicited-node group
     * (and its 33:33 MAC), hop limit 255, with the interface's MAC as source link-layer address option.
     */
    static ByteBuf solicitation(IntFunction<ByteBuf> allocate, RouterTables tables, RouterInterface iface,
                                long targetHi, long targetLo) {
        long groupLo = Ndp.solicitedNodeLo(targetLo);
        Ipv6Address src = tables.source6For(iface, targetHi, targetLo);
        ByteBuf ns = Icmp6Frame.allocate(allocate, 0x3333_0000_0000L | (groupLo & 0xFFFF_FFFFL), iface.mac(), NS_LEN,
                Ndp.HOP_LIMIT, src.hi(), src.lo(), 0xFF02_0000_0000_0000L, groupLo);
        int at = Icmp6Frame.ICMP;
        ns.setZero(at, NS_LEN);
        ns.setByte(at + Icmp6.TYPE, Icmp6.TYPE_NEIGHBOR_SOLICITATION);
        ns.setLong(at + Ndp.TARGET, targetHi);
        ns.setLong(at + Ndp.TARGET + 8, targetLo);
        ns.setByte(at + 24, Ndp.OPT_SOURCE_LINK_ADDRESS);
        ns.setByte(at + 25, 1);
        MacAddr.set(ns, at + 26, iface.mac());
        Icmp6.updateChecksum(ns, Ethernet.HEADER_LEN, at, NS_LEN);
        return ns;
    }
}
