package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.conntrack.Conn;
import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.ConntrackTimeouts;
import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.conntrack.TcpState;
import dev.vnet.dataplane.nat.NatPlanner;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.util.RateLimitedLog;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.NatRewrite;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.Tcp;
import io.netty.buffer.ByteBuf;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * After routing (netfilter's POSTROUTING): the first packet of a new connection gets its source NAT planned against
 * the egress interface (MASQUERADE, or hairpin for a port forward that turns back where it came from), its source
 * rewritten, and the connection recorded with both tuples. A full table or no free port drops the packet with a
 * named reason (and a log line at most once a second); the dataplane goes on.
 */
final class NatOut extends Stage {
    private static final int NO_PORT = -3;
    private static final int TAKEN = -4;

    private final RouterTables tables;
    private final NatState nat;
    private final NeighborOutput output;
    private final Fragmenter fragmenter;
    private final RateLimitedLog exhausted = new RateLimitedLog(LoggerFactory.getLogger(NatOut.class),
            TimeUnit.SECONDS.toNanos(1));

    /**
     * Source NAT, then {@code output}; or, with a {@code fragmenter}, the NAT of packets too big to go whole, cut
     * after it. Two fields of their own classes rather than one {@code Stage}: the call to the next stage then
     * binds to one class, which the JIT inlines.
     */
    NatOut(RouterTables tables, NatState nat, NeighborOutput output, Fragmenter fragmenter) {
        this.tables = tables;
        this.nat = nat;
        this.output = output;
        this.fragmenter = fragmenter;
    }

    private Stage next(Frame frame) {
        return fragmenter == null ? output.run(frame) : fragmenter.run(frame);
    }

    @Override
    protected Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        if (!frame.newFlow()) {
            if (!Ipv4.hasTransportHeader(buf, ip) && !frame.fragmentTranslated()
                    && nat.rules().mayTranslate(Ipv4.src(buf, ip), frame.outInterface())) {
                return frame.drop(DropReason.FRAGMENT_NOT_TRANSLATED); // no ports to find its connection by
            }
            return next(frame);
        }
        int l4 = ip + Ipv4.headerLength(buf, ip);
        long oHi = frame.flowHi();
        long oLo = frame.flowLo();
        int protocol = FlowKey.protocol(oLo);
        int dst = Ipv4.dst(buf, ip);
        int dstPort = protocol == Ipv4.PROTO_ICMP ? 0 : FlowKey.dstPort(oLo);
        if (frame.portForwarded()) {
            dstPort = buf.getUnsignedShort(l4 + 2); // TCP and UDP keep the destination port at offset 2
        }
        RouterInterface out = tables.iface(frame.outInterface());
        ConnTable table = nat.conntrack();
        NatPlanner planner = nat.planner();
        ConntrackTimeouts timeouts = nat.timeouts();
        long now = frame.now();
        int state = 0;
        long timeout;
        if (protocol == Ipv4.PROTO_TCP) {
            TcpState s = TcpState.initial(Tcp.flags(buf, l4));
            state = s.ordinal();
            timeout = timeouts.tcp(s);
        } else if (protocol == Ipv4.PROTO_UDP) {
            timeout = timeouts.udp(false);
        } else {
            timeout = protocol == Ipv4.PROTO_ICMP ? timeouts.icmp() : timeouts.generic();
        }
        // Planning (the port allocator's search and generator) and creating happen under the table's write lock:
        // another loop may be creating a connection at the same moment.
        long plan;
        int id;
        long stamp = table.lockForUpdate();
        try {
            plan = planner.plan(table, now, protocol, FlowKey.src(oHi), FlowKey.srcPort(oLo), dst, dstPort,
                    frame.portForwarded(), frame.inInterface(), out.index(), out.primaryAddress());
            if (plan == NatPlanner.EXHAUSTED) {
                id = NO_PORT;
            } else if (plan == NatPlanner.TAKEN) {
                id = TAKEN;
            } else {
                id = table.create(oHi, oLo, NatPlanner.replyHi(plan, dst), NatPlanner.replyLo(plan, protocol, dstPort),
                        now, timeout, state);
            }
        } finally {
            table.unlock(stamp);
        }
        if (id == NO_PORT) {
            exhausted.warn(now, "no free source port for {}: new connections to it are dropped",
                    FlowKey.toString(oHi, oLo));
            return frame.drop(DropReason.NAT_PORTS_EXHAUSTED);
        }
        if (id == TAKEN) {
            return frame.drop(DropReason.NAT_TUPLE_TAKEN);
        }
        if (id == ConnTable.CLASH) {
            return frame.drop(DropReason.CONNTRACK_CLASH);
        }
        if (id == ConnTable.NONE) {
            return frame.drop(DropReason.CONNTRACK_FULL);
        }
        boolean sourceNat = NatPlanner.sourceNat(plan);
        int natSource = NatPlanner.natSource(plan);
        int natPort = NatPlanner.natPort(plan);
        if (sourceNat || frame.portForwarded()) {
            table.addFlags(id, Conn.TRANSLATED);
        }
        if (Ipv4.isFragment(buf, ip)) {
            // The first fragment of a datagram: its later fragments find the connection by the datagram's identity
            // as it arrived (before a port forward rewrote its destination).
            nat.fragments().record(FlowKey.src(oHi), FlowKey.dst(oHi), protocol, Ipv4.id(buf, ip),
                    Conn.handle(id, Conn.ORIGINAL), now, frame);
        }
        if (sourceNat) { // without ports (netfilter's generic NAT), the address and the IPv4 checksum only
            NatRewrite.translate(buf, ip, l4, protocol, NatRewrite.SRC_ADDRESS | NatRewrite.SRC_PORT, natSource, 0,
                    natPort, 0, Offload.needsChecksum(frame.offload()));
        }
        if (frame.traced()) {
            frame.note(sourceNat ? "source translated to " + Ipv4Addr.toString(natSource)
                    + (protocol == Ipv4.PROTO_ICMP ? " id " + natPort : natPort != 0 ? ":" + natPort : "")
                    + ", connection recorded" : "connection recorded, source kept");
        }
        return next(frame);
    }
}
