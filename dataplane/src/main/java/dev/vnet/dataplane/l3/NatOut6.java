package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.conntrack.Conn;
import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.conntrack.TcpState;
import dev.vnet.dataplane.nat.NatPlanner;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.util.RateLimitedLog;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.NatRewrite;
import dev.vnet.dataplane.wire.NatRewrite6;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.Tcp;
import io.netty.buffer.ByteBuf;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * After IPv6 routing (ip6tables' POSTROUTING), as {@link NatOut} for IPv4: the first packet of a new connection gets
 * its source NAT decided against the egress interface (an IPv6 MASQUERADE rule, or hairpin for a port forward that
 * turns back where it came from) and planned by the same {@link NatPlanner} (netfilter's port choice), its source
 * rewritten to the egress interface's address, and the connection recorded with both tuples, its four addresses held
 * by handle. A fragment that may belong to a translated connection is dropped: it carries no ports to find one by.
 * A full table or no free port drops the packet with a named reason; the dataplane goes on.
 */
final class NatOut6 extends Stage {
    private final RouterTables tables;
    private final NatState nat;
    private final Neighbor6Output next;
    private final ForwardFilter filter;
    private final RateLimitedLog exhausted = new RateLimitedLog(LoggerFactory.getLogger(NatOut6.class),
            TimeUnit.SECONDS.toNanos(1));

    NatOut6(RouterTables tables, NatState nat, ForwardFilter filter, Neighbor6Output next) {
        this.tables = tables;
        this.nat = nat;
        this.filter = filter;
        this.next = next;
    }

    @Override
    protected Stage process(Frame frame) {
        if (!frame.newFlow()) {
            if (frame.invalid()) {
                ByteBuf buf = frame.buf();
                int ip = frame.l3Offset();
                Stage refused = filter.checkInvalid(frame, true, Ipv6.srcHi(buf, ip), Ipv6.srcLo(buf, ip),
                        Ipv6.dstHi(buf, ip), Ipv6.dstLo(buf, ip), Ipv6.upperProtocol(frame.walk()),
                        ip + Ipv6.upperOffset(frame.walk()));
                if (refused != ForwardFilter.GO_ON) {
                    return refused;
                }
            }
            if (Ipv6.isFragment(frame.walk()) && mayTranslate(frame)) {
                return frame.drop(DropReason.FRAGMENT_NOT_TRANSLATED);
            }
            return next.run(frame);
        }
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        int l4 = ip + Ipv6.upperOffset(frame.walk());
        long oLo = frame.flowLo();
        int protocol = FlowKey.protocol(oLo);
        long srcHi = Ipv6.srcHi(buf, ip);
        long srcLo = Ipv6.srcLo(buf, ip);
        long dstHi = Ipv6.dstHi(buf, ip);
        long dstLo = Ipv6.dstLo(buf, ip);
        int dstPort = FlowKey.isIcmp(protocol) ? 0 : FlowKey.dstPort(oLo);
        if (frame.portForwarded()) {
            dstPort = buf.getUnsignedShort(l4 + 2); // TCP and UDP keep the destination port at offset 2
        }
        Stage refused = filter.check(frame, true, srcHi, srcLo, dstHi, dstLo, protocol, l4,
                protocol == Ipv6.NH_ICMPV6 ? buf.getUnsignedByte(l4) : dstPort);
        if (refused != ForwardFilter.GO_ON) {
            return refused;
        }
        RouterInterface out = tables.iface(frame.outInterface());
        boolean sourceNat = nat.rules().masquerades6(srcHi, srcLo, out.index())
                || frame.portForwarded() && frame.inInterface() == out.index();
        Ipv6Address natAddress = sourceNat ? tables.source6For(out, dstHi, dstLo) : null;
        int state = protocol == Ipv6.NH_TCP ? TcpState.initial(Tcp.flags(buf, l4)).ordinal() : 0;
        long now = frame.now();
        long timeout = NatOut.initialTimeout(nat.timeouts(), protocol, state);
        ConnTable table = nat.conntrack();
        long plan;
        int id;
        long stamp = table.lockForUpdate();
        try {
            // The connection's four addresses, one use each: its original tuple's two, its reply tuple's two.
            int src = table.acquire6(srcHi, srcLo);
            int origDst = table.acquire6(frame.origDstHi(), frame.origDstLo());
            int dst = table.acquire6(dstHi, dstLo);
            int replyDst = sourceNat ? table.acquire6(natAddress.hi(), natAddress.lo()) : table.acquire6(srcHi, srcLo);
            plan = nat.planner().translation(table, now, protocol, src, FlowKey.srcPort(oLo), dst, dstPort, sourceNat,
                    replyDst, FlowKey.V6);
            id = NatOut.create(table, plan, FlowKey.hi(src, origDst), oLo, NatPlanner.replyHi(plan, dst),
                    NatPlanner.replyLo(plan, protocol, dstPort) | FlowKey.V6, now, timeout, state);
            if (id < 0) {
                table.release6(src);
                table.release6(origDst);
                table.release6(dst);
                table.release6(replyDst);
            }
        } finally {
            table.unlock(stamp);
        }
        if (id < 0) {
            if (id == NatOut.NO_PORT) {
                exhausted.warn(now, "no free source port for {}: new connections to it are dropped",
                        FlowKey.protocolName(protocol) + " [" + new Ipv6Address(dstHi, dstLo) + "]:" + dstPort);
            }
            return NatOut.refused(frame, id);
        }
        if (sourceNat || frame.portForwarded()) {
            table.addFlags(id, Conn.TRANSLATED);
        }
        int natPort = NatPlanner.natPort(plan);
        if (sourceNat) {
            NatRewrite6.translate(buf, ip, l4, protocol, NatRewrite.SRC_ADDRESS | NatRewrite.SRC_PORT,
                    natAddress.hi(), natAddress.lo(), 0, 0, natPort, 0, Offload.needsChecksum(frame.offload()));
        }
        if (frame.traced()) {
            frame.note(sourceNat ? "source translated to " + natAddress + (FlowKey.isIcmp(protocol) ? " id " + natPort
                    : natPort != 0 ? " port " + natPort : "") + ", connection recorded"
                    : "connection recorded, source kept");
        }
        return next.run(frame);
    }

    /** True when a fragment leaving here may belong to a translated connection. */
    private boolean mayTranslate(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        return nat.rules().mayTranslate6(Ipv6.srcHi(buf, ip), Ipv6.srcLo(buf, ip), frame.outInterface());
    }
}
