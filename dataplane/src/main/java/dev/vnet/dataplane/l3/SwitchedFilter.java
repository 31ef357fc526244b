package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.conntrack.Conn;
import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.conntrack.TcpState;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Tcp;
import dev.vnet.dataplane.wire.Udp;
import io.netty.buffer.ByteBuf;

/**
 * The router's policy on IP a bridge switches between two of its ports, for a bridge that asks for it (the kernel's
 * {@code br_netfilter} with {@code bridge-nf-call-iptables} and {@code -ip6tables}): the bridge has decided where
 * the frame goes ({@code L2Forward}), then this stage may refuse it. It is stateful as the router's filter is: a
 * packet of a known connection passes and refreshes it; a new connection's first packet is decided by the rules
 * ({@link ForwardFilter}, with the bridge's router interface as both ingress and egress, so rules name the
 * namespaces by their addresses), and an accepted one is recorded in the router's connection table (no translation:
 * switched traffic is never NATed). Refused packets are counted as the router's are ({@code policy-drop},
 * {@code policy-reject}, the rule named in captures and traces); a reject's answer (TCP reset, ICMP port
 * unreachable) is built and routed by the router, so it reaches the sender from the address it called (a reset) or
 * the gateway's (ICMP). A malformed IP header is dropped with its reason, as {@code br_netfilter} drops it.
 *
 * <p>An ICMP error about a known connection (related) passes as the connection's; one about none, and ICMP of a
 * type that opens nothing, are decided by the rules as state invalid. Not filtered, as the kernel's defaults do not
 * filter them either: non-IP frames (ARP), VLAN-tagged frames ({@code bridge-nf-filter-vlan-tagged} is off),
 * group-addressed frames. Passed untracked: neighbour discovery (about the link, not a connection), and IP fragments
 * after the first (no ports to match; the kernel reassembles them first).
 */
final class SwitchedFilter extends Stage {
    private final int iface;
    private final NatState nat;
    private final ForwardFilter filter;

    SwitchedFilter(int iface, NatState nat, ForwardFilter filter) {
        this.iface = iface;
        this.nat = nat;
        this.filter = filter;
    }

    @Override
    protected Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int type = Ethernet.type(buf, frame.start());
        int ip = frame.start() + Ethernet.HEADER_LEN;
        if (type == Ethernet.TYPE_IPV4) {
            return ipv4(frame, buf, ip);
        }
        if (type == Ethernet.TYPE_IPV6) {
            return ipv6(frame, buf, ip);
        }
        return null; // not IP: switched as the bridge decided
    }

    private Stage ipv4(Frame frame, ByteBuf buf, int ip) {
        DropReason bad = Ipv4.check(buf, ip, frame.start() + frame.length() - ip);
        if (bad != null) {
            return frame.drop(bad);
        }
        boolean fragment = Ipv4.isFragment(buf, ip);
        if (fragment && !Ipv4.hasTransportHeader(buf, ip)) {
            return untracked(frame, "a later fragment: not filtered");
        }
        int protocol = Ipv4.protocol(buf, ip);
        int l4 = ip + Ipv4.headerLength(buf, ip);
        int available = Ipv4.totalLength(buf, ip) - Ipv4.headerLength(buf, ip);
        int srcPort = 0;
        int dstPort = 0;
        int match = 0; // the port rules match: the destination port, an ICMP query's type
        if (protocol == Ipv4.PROTO_TCP || protocol == Ipv4.PROTO_UDP) {
            bad = protocol == Ipv4.PROTO_TCP ? Tcp.check(buf, l4, available)
                    : fragment ? Udp.checkFirstFragment(buf, l4, available) : Udp.check(buf, l4, available);
            if (bad != null) {
                return frame.drop(bad);
            }
            srcPort = buf.getUnsignedShort(l4); // TCP and UDP keep their ports at the same offsets
            dstPort = buf.getUnsignedShort(l4 + 2);
            match = dstPort;
        } else if (protocol == Ipv4.PROTO_ICMP) {
            if (available < Icmp4.HEADER_LEN) {
                return frame.drop(DropReason.ICMP_TRUNCATED);
            }
            int icmpType = Icmp4.type(buf, l4);
            if (Icmp4.isQueryRequest(icmpType)) {
                srcPort = Icmp4.echoId(buf, l4);
            } else if (Icmp4.isQueryReply(icmpType)) {
                dstPort = Icmp4.echoId(buf, l4);
            } else {
                int related = Icmp4.isError(icmpType)
                        ? IcmpErrorNat.translate(nat.conntrack(), frame.now(), buf, ip, l4, available)
                        : IcmpErrorNat.UNRELATED;
                if (related != IcmpErrorNat.UNRELATED) {
                    return untracked(frame, IcmpErrorNat.describe(related));
                }
                frame.setL3Offset(ip);
                frame.setInInterface(iface);
                frame.setRoute(iface, Ipv4.dst(buf, ip));
                return invalid(frame, filter.checkInvalid(frame, false, 0, Ipv4.src(buf, ip) & 0xFFFF_FFFFL, 0,
                        Ipv4.dst(buf, ip) & 0xFFFF_FFFFL, protocol, l4));
            }
            match = icmpType;
        }
        int src = Ipv4.src(buf, ip);
        int dst = Ipv4.dst(buf, ip);
        long hi = FlowKey.hi(src, dst);
        long lo = FlowKey.lo(protocol, srcPort, dstPort);
        ConnTable table = nat.conntrack();
        int handle = table.lookup(hi, lo, frame.now());
        if (handle != ConnTable.NONE) {
            return known(frame, table, handle, protocol, protocol == Ipv4.PROTO_TCP ? Tcp.flags(buf, l4) : 0);
        }
        frame.setL3Offset(ip); // for a reject's answer, which the router builds about this packet
        frame.setInInterface(iface);
        frame.setRoute(iface, dst);
        Stage refused = filter.check(frame, false, 0, src & 0xFFFF_FFFFL, 0, dst & 0xFFFF_FFFFL, protocol, l4, match);
        if (refused != ForwardFilter.GO_ON) {
            return refused;
        }
        int state = initialState(buf, protocol, l4);
        long stamp = table.lockForUpdate();
        int id;
        try {
            id = table.create(hi, lo, FlowKey.invertHi(hi), FlowKey.invertLo(lo), frame.now(),
                    NatOut.initialTimeout(nat.timeouts(), protocol, state), state);
        } finally {
            table.unlock(stamp);
        }
        return recorded(frame, id);
    }

    private Stage ipv6(Frame frame, ByteBuf buf, int ip) {
        DropReason bad = Ipv6.check(buf, ip, frame.start() + frame.length() - ip);
        if (bad != null) {
            return frame.drop(bad);
        }
        long walk = Ipv6.walk(buf, ip);
        if (Ipv6.refused(walk)) {
            return frame.drop(Ipv6.reason(walk));
        }
        if (Ipv6.isFragment(walk)) {
            return untracked(frame, "a fragment: not filtered");
        }
        int protocol = Ipv6.upperProtocol(walk);
        int l4 = ip + Ipv6.upperOffset(walk);
        int available = ip + Ipv6.HEADER_LEN + Ipv6.payloadLength(buf, ip) - l4;
        int srcPort = 0;
        int dstPort = 0;
        int match = 0;
        if (protocol == Ipv6.NH_TCP || protocol == Ipv6.NH_UDP) {
            bad = protocol == Ipv6.NH_TCP ? Tcp.check(buf, l4, available) : Udp.check(buf, l4, available);
            if (bad != null) {
                return frame.drop(bad);
            }
            srcPort = buf.getUnsignedShort(l4);
            dstPort = buf.getUnsignedShort(l4 + 2);
            match = dstPort;
        } else if (protocol == Ipv6.NH_ICMPV6) {
            if (available < Icmp6.HEADER_LEN) {
                return frame.drop(DropReason.ICMPV6_TRUNCATED);
            }
            int icmpType = Icmp6.type(buf, l4);
            if (icmpType == Icmp6.TYPE_ECHO_REQUEST) {
                srcPort = buf.getUnsignedShort(l4 + Icmp6.ECHO_ID);
            } else if (icmpType == Icmp6.TYPE_ECHO_REPLY) {
                dstPort = buf.getUnsignedShort(l4 + Icmp6.ECHO_ID);
            } else if (Icmp6.isError(icmpType)) {
                int related = Icmp6ErrorNat.translate(nat.conntrack(), frame.now(), buf, ip, l4, available);
                if (related != IcmpErrorNat.UNRELATED) {
                    return untracked(frame, IcmpErrorNat.describe(related));
                }
                frame.setL3Offset(ip);
                frame.setWalk(walk);
                frame.setInInterface(iface);
                frame.setRoute6(iface, Ipv6.dstHi(buf, ip), Ipv6.dstLo(buf, ip));
                return invalid(frame, filter.checkInvalid(frame, true, Ipv6.srcHi(buf, ip), Ipv6.srcLo(buf, ip),
                        Ipv6.dstHi(buf, ip), Ipv6.dstLo(buf, ip), protocol, l4));
            } else {
                return untracked(frame, "ICMPv6 that is about the link (neighbour discovery): not filtered");
            }
            match = icmpType;
        }
        long srcHi = Ipv6.srcHi(buf, ip);
        long srcLo = Ipv6.srcLo(buf, ip);
        long dstHi = Ipv6.dstHi(buf, ip);
        long dstLo = Ipv6.dstLo(buf, ip);
        long lo = FlowKey.lo(protocol, srcPort, dstPort) | FlowKey.V6;
        ConnTable table = nat.conntrack();
        int handle = table.lookup6(srcHi, srcLo, dstHi, dstLo, lo, frame.now());
        if (handle != ConnTable.NONE) {
            return known(frame, table, handle, protocol, protocol == Ipv6.NH_TCP ? Tcp.flags(buf, l4) : 0);
        }
        frame.setL3Offset(ip);
        frame.setWalk(walk);
        frame.setInInterface(iface);
        frame.setRoute6(iface, dstHi, dstLo);
        Stage refused = filter.check(frame, true, srcHi, srcLo, dstHi, dstLo, protocol, l4, match);
        if (refused != ForwardFilter.GO_ON) {
            return refused;
        }
        int state = initialState(buf, protocol, l4);
        long stamp = table.lockForUpdate();
        int id;
        try {
            // Both tuples' addresses, one use each (the connection gives them back when it goes).
            int src = table.acquire6(srcHi, srcLo);
            int dst = table.acquire6(dstHi, dstLo);
            int replySrc = table.acquire6(dstHi, dstLo);
            int replyDst = table.acquire6(srcHi, srcLo);
            id = table.create(FlowKey.hi(src, dst), lo, FlowKey.hi(replySrc, replyDst), FlowKey.invertLo(lo),
                    frame.now(), NatOut.initialTimeout(nat.timeouts(), protocol, state), state);
            if (id < 0) {
                table.release6(src);
                table.release6(dst);
                table.release6(replySrc);
                table.release6(replyDst);
            }
        } finally {
            table.unlock(stamp);
        }
        return recorded(frame, id);
    }

    /** An ICMP packet about no known connection, decided by the rules as invalid: switched on, or refused. */
    private static Stage invalid(Frame frame, Stage refused) {
        return refused == ForwardFilter.GO_ON ? null : refused;
    }

    private static int initialState(ByteBuf buf, int protocol, int l4) {
        return protocol == Ipv4.PROTO_TCP ? TcpState.initial(Tcp.flags(buf, l4)).ordinal() : 0;
    }

    /** A packet of a known connection: it refreshes it and is switched on. */
    private Stage known(Frame frame, ConnTable table, int handle, int protocol, int tcpFlags) {
        ConntrackIn.refresh(table, nat.timeouts(), Conn.id(handle), Conn.isOriginal(handle), protocol, tcpFlags,
                frame.now());
        if (frame.traced()) {
            frame.note("tracked connection: switched on");
        }
        return null;
    }

    /** An accepted first packet: switched on, its connection recorded (or, when the table is full, dropped). */
    private static Stage recorded(Frame frame, int id) {
        if (id == ConnTable.NONE) {
            return frame.drop(DropReason.CONNTRACK_FULL);
        }
        if (frame.traced()) {
            frame.note(id == ConnTable.CLASH ? "connection made by another loop meanwhile: switched on"
                    : "connection recorded: switched on");
        }
        return null;
    }

    private static Stage untracked(Frame frame, String why) {
        if (frame.traced()) {
            frame.note(why);
        }
        return null;
    }
}
