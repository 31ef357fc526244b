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
    /** {@link #create}: no free source port. */
    static final int NO_PORT = -3;
    /** {@link #create}: the tuple of a protocol without ports is taken. */
    static final int TAKEN = -4;

    private final RouterTables tables;
    private final NatState nat;
    private final NeighborOutput output;
    private final Fragmenter fragmenter;
    private final ForwardFilter filter;
    private final RateLimitedLog exhausted = new RateLimitedLog(LoggerFactory.getLogger(NatOut.class),
            TimeUnit.SECONDS.toNanos(1));

    /**
     * Source NAT, then {@code output}; or, with a {@code fragmenter}, the NAT of packets too big to go whole, cut
     * after it. Two fields of their own classes rather than one {@code Stage}: the call to the next stage then
     * binds to one class, which the JIT inlines.
     */
    NatOut(RouterTables tables, NatState nat, ForwardFilter filter, NeighborOutput output, Fragmenter fragmenter) {
        this.tables = tables;
        this.nat = nat;
        this.filter = filter;
        this.output = output;
        this.fragmenter = fragmenter;
    }

    private Stage next(Frame frame) {
        return fragmenter == null ? output.run(frame) : fragmenter.run(frame);
    }

    /** A new connection's timeout, for its protocol and initial state (a {@link TcpState} ordinal for TCP). */
    static long initialTimeout(ConntrackTimeouts timeouts, int protocol, int state) {
        if (protocol == Ipv4.PROTO_TCP) {
            return timeouts.tcp(TcpState.of(state));
        }
        if (protocol == Ipv4.PROTO_UDP) {
            return timeouts.udp(false);
        }
        return FlowKey.isIcmp(protocol) ? timeouts.icmp() : timeouts.generic();
    }

    /**
     * Records the connection {@code plan} makes, under the table's lock: its id, or {@link #NO_PORT}, {@link #TAKEN},
     * {@link ConnTable#CLASH} or {@link ConnTable#NONE}.
     */
    static int create(ConnTable table, long plan, long oHi, long oLo, long rHi, long rLo, long now, long timeout,
                      int state) {
        if (plan == NatPlanner.EXHAUSTED) {
            return NO_PORT;
        }
        if (plan == NatPlanner.TAKEN) {
            return TAKEN;
        }
        return table.create(oHi, oLo, rHi, rLo, now, timeout, state);
    }

    /** The drop of a first packet whose connection could not be made ({@link #create}'s refusals). */
    static Stage refused(Frame frame, int id) {
        return frame.drop(switch (id) {
            case NO_PORT -> DropReason.NAT_PORTS_EXHAUSTED;
            case TAKEN -> DropReason.NAT_TUPLE_TAKEN;
            case ConnTable.CLASH -> DropReason.CONNTRACK_CLASH;
            default -> DropReason.CONNTRACK_FULL;
        });
    }

    @Override
    protected Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        if (!frame.newFlow()) {
            if (frame.invalid()) {
                Stage refused = filter.checkInvalid(frame, false, 0, Ipv4.src(buf, ip) & 0xFFFF_FFFFL, 0,
                        Ipv4.dst(buf, ip) & 0xFFFF_FFFFL, Ipv4.protocol(buf, ip), ip + Ipv4.headerLength(buf, ip));
                if (refused != ForwardFilter.GO_ON) {
                    return refused;
                }
            }
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
        Stage refused = filter.check(frame, false, 0, FlowKey.src(oHi) & 0xFFFF_FFFFL, 0, dst & 0xFFFF_FFFFL, protocol,
                l4, protocol == Ipv4.PROTO_ICMP ? buf.getUnsignedByte(l4) : dstPort);
        if (refused != ForwardFilter.GO_ON) {
            return refused;
        }
        RouterInterface out = tables.iface(frame.outInterface());
        ConnTable table = nat.conntrack();
        NatPlanner planner = nat.planner();
        ConntrackTimeouts timeouts = nat.timeouts();
        long now = frame.now();
        int state = protocol == Ipv4.PROTO_TCP ? TcpState.initial(Tcp.flags(buf, l4)).ordinal() : 0;
        long timeout = initialTimeout(timeouts, protocol, state);
        // Planning (the port allocator's search and generator) and creating happen under the table's write lock:
        // another loop may be creating a connection at the same moment.
        long plan;
        int id;
        long stamp = table.lockForUpdate();
        try {
            plan = planner.plan(table, now, protocol, FlowKey.src(oHi), FlowKey.srcPort(oLo), dst, dstPort,
                    frame.portForwarded(), frame.inInterface(), out.index(), out.primaryAddress());
            id = create(table, plan, oHi, oLo, NatPlanner.replyHi(plan, dst),
                    NatPlanner.replyLo(plan, protocol, dstPort), now, timeout, state);
        } finally {
            table.unlock(stamp);
        }
        if (id < 0) {
            if (id == NO_PORT) {
                exhausted.warn(now, "no free source port for {}: new connections to it are dropped",
                        FlowKey.toString(oHi, oLo));
            }
            return refused(frame, id);
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
