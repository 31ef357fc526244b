package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.conntrack.Conn;
import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.nat.NatRules;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.NatRewrite;
import dev.vnet.dataplane.wire.NatRewrite6;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.Tcp;
import dev.vnet.dataplane.wire.Udp;
import io.netty.buffer.ByteBuf;

/**
 * Connection tracking of IPv6 before routing, as {@link ConntrackIn} for IPv4 and in the same table (the addresses
 * held by handle, {@link dev.vnet.dataplane.conntrack.Ipv6Handles}): a packet of a known connection refreshes it and,
 * if the connection is translated, is rewritten to the inverse of the other direction's tuple ({@link NatRewrite6});
 * the first packet of a new connection to one of the router's addresses is matched against the IPv6 port forwards
 * (DNAT) and marked new for {@link NatOut6}. TCP, UDP and ICMPv6 echo (by identifier) are tracked with their ports,
 * other upper-layer protocols by their addresses alone; ICMPv6 errors about a translated connection are translated
 * ({@link Icmp6ErrorNat}); other ICMPv6 passes untracked. Fragments pass untracked (the kernel reassembles IPv6
 * before tracking; vnet does not, and {@link NatOut6} drops a fragment a translation would have to reach).
 */
final class Conntrack6In extends Stage {
    private final RouterTables tables;
    private final NatState nat;
    private final Local6Delivery local;
    private final Ipv6Forward forward;

    Conntrack6In(RouterTables tables, NatState nat, Local6Delivery local, Ipv6Forward forward) {
        this.tables = tables;
        this.nat = nat;
        this.local = local;
        this.forward = forward;
    }

    @Override
    protected Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        long walk = frame.walk();
        if (Ipv6.isFragment(walk)) {
            return untracked(frame, "a fragment: not tracked");
        }
        int protocol = Ipv6.upperProtocol(walk);
        int l4 = ip + Ipv6.upperOffset(walk);
        int available = ip + Ipv6.HEADER_LEN + Ipv6.payloadLength(buf, ip) - l4;
        int srcPort;
        int dstPort;
        int tcpFlags = 0;
        if (protocol == Ipv6.NH_TCP) {
            DropReason bad = Tcp.check(buf, l4, available);
            if (bad != null) {
                return frame.drop(bad);
            }
            srcPort = Tcp.srcPort(buf, l4);
            dstPort = Tcp.dstPort(buf, l4);
            tcpFlags = Tcp.flags(buf, l4);
        } else if (protocol == Ipv6.NH_UDP) {
            DropReason bad = Udp.check(buf, l4, available);
            if (bad != null) {
                return frame.drop(bad);
            }
            srcPort = Udp.srcPort(buf, l4);
            dstPort = Udp.dstPort(buf, l4);
        } else if (protocol == Ipv6.NH_ICMPV6) {
            if (available < Icmp6.HEADER_LEN) {
                return frame.drop(DropReason.ICMPV6_TRUNCATED);
            }
            int type = Icmp6.type(buf, l4);
            if (type == Icmp6.TYPE_ECHO_REQUEST) {
                srcPort = buf.getUnsignedShort(l4 + Icmp6.ECHO_ID);
                dstPort = 0;
            } else if (type == Icmp6.TYPE_ECHO_REPLY) {
                srcPort = 0;
                dstPort = buf.getUnsignedShort(l4 + Icmp6.ECHO_ID);
            } else {
                int related = Icmp6.isError(type)
                        ? Icmp6ErrorNat.translate(nat.conntrack(), frame.now(), buf, ip, l4, available)
                        : IcmpErrorNat.UNRELATED;
                if (related == IcmpErrorNat.UNRELATED) {
                    frame.setInvalid();
                }
                return untracked(frame, IcmpErrorNat.describe(related));
            }
        } else { // by its addresses alone, as netfilter's generic tracker
            srcPort = 0;
            dstPort = 0;
        }
        long srcHi = Ipv6.srcHi(buf, ip);
        long srcLo = Ipv6.srcLo(buf, ip);
        long dstHi = Ipv6.dstHi(buf, ip);
        long dstLo = Ipv6.dstLo(buf, ip);
        long lo = FlowKey.lo(protocol, srcPort, dstPort) | FlowKey.V6;
        ConnTable table = nat.conntrack();
        long now = frame.now();
        int handle = table.lookup6(srcHi, srcLo, dstHi, dstLo, lo, now);
        if (handle != ConnTable.NONE) {
            int id = Conn.id(handle);
            boolean original = Conn.isOriginal(handle);
            frame.setConnection(handle);
            ConntrackIn.refresh(table, nat.timeouts(), id, original, protocol, tcpFlags, now);
            if ((table.flags(id) & Conn.TRANSLATED) != 0) {
                translate(frame, table, id, original, l4, protocol);
            }
            if (frame.traced()) {
                frame.note("tracked connection (replies and later packets follow its NAT)");
            }
            return deliver(frame);
        }
        boolean forwarded = false;
        if (tables.isLocal6(dstHi, dstLo)) {
            NatRules.PortForward6 f = protocol == Ipv6.NH_TCP || protocol == Ipv6.NH_UDP
                    ? nat.rules().forwardFor6(protocol, dstHi, dstLo, dstPort) : null;
            if (f == null) {
                return untracked(frame, "for the router itself, not tracked");
            }
            NatRewrite6.translate(buf, ip, l4, protocol, NatRewrite.DST_ADDRESS | NatRewrite.DST_PORT, 0, 0,
                    f.target().hi(), f.target().lo(), 0, f.translate(dstPort), Offload.needsChecksum(frame.offload()));
            forwarded = true;
        }
        frame.setNewFlow6(lo, dstHi, dstLo, forwarded);
        if (frame.traced()) {
            frame.note("new connection" + (forwarded ? ", matched a port forward (DNAT applied)" : ""));
        }
        return forwarded ? deliver(frame) : forward.run(frame);
    }

    /**
     * Rewrites a packet of translated connection {@code id} to the inverse of the other direction's tuple: its
     * addresses from their handles, its ports from the tuple.
     */
    private static void translate(Frame frame, ConnTable table, int id, boolean original, int l4, int protocol) {
        long otherHi = original ? table.replyHi(id) : table.origHi(id);
        long otherLo = original ? table.replyLo(id) : table.origLo(id);
        int src = FlowKey.dst(otherHi); // inverted: the other direction's destination is this one's source
        int dst = FlowKey.src(otherHi);
        NatRewrite6.translate(frame.buf(), frame.l3Offset(), l4, protocol, NatRewrite.TUPLE, table.address6Hi(src),
                table.address6Lo(src), table.address6Hi(dst), table.address6Lo(dst), FlowKey.dstPort(otherLo),
                FlowKey.srcPort(otherLo), Offload.needsChecksum(frame.offload()));
    }

    private Stage untracked(Frame frame, String why) {
        if (frame.traced()) {
            frame.note(why);
        }
        return deliver(frame);
    }

    /** After tracking (and a translation, which may have changed the destination): to the router, or forwarded. */
    private Stage deliver(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        if (tables.isLocal6(Ipv6.dstHi(buf, ip), Ipv6.dstLo(buf, ip))) {
            return local.run(frame);
        }
        return forward.run(frame);
    }
}
