package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.conntrack.Conn;
import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.ConntrackTimeouts;
import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.conntrack.TcpState;
import dev.vnet.dataplane.nat.NatRules;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.NatRewrite;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.Tcp;
import dev.vnet.dataplane.wire.Udp;
import io.netty.buffer.ByteBuf;

/**
 * Connection tracking before routing (netfilter's PREROUTING conntrack and DNAT): a packet of a known connection
 * refreshes it (TCP state, timeout) and, if the connection is translated, is rewritten to the inverse of the other
 * direction's tuple; the first packet of a new connection to one of the router's addresses is matched against the
 * port forwards (DNAT) and marked new for {@link NatOut}. TCP, UDP and ICMP queries (echo, timestamp, information,
 * address mask) are tracked with their ports (the query's identifier), other protocols by their addresses alone
 * (netfilter's generic tracker); ICMP errors about a NATed packet are translated ({@link IcmpErrorNat}); other ICMP
 * passes untracked. Packets to the router that no forward claims stay local and untracked. Fragments after the
 * first follow what their first fragment found ({@link FragmentTable}), waiting for it when they overtook it.
 */
final class ConntrackIn extends Stage {
    private final RouterTables tables;
    private final NatState nat;
    private final LocalDelivery localDelivery;
    private final Ipv4Forward forward;

    ConntrackIn(RouterTables tables, NatState nat, LocalDelivery localDelivery, Ipv4Forward forward) {
        this.tables = tables;
        this.nat = nat;
        this.localDelivery = localDelivery;
        this.forward = forward;
    }

    @Override
    protected Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        boolean fragment = Ipv4.isFragment(buf, ip);
        if (fragment && !Ipv4.hasTransportHeader(buf, ip)) {
            return laterFragment(frame, buf, ip); // no ports: its datagram's first fragment says which connection
        }
        int protocol = Ipv4.protocol(buf, ip);
        int l4 = ip + Ipv4.headerLength(buf, ip);
        int available = Ipv4.totalLength(buf, ip) - Ipv4.headerLength(buf, ip);
        int srcPort;
        int dstPort;
        int tcpFlags = 0;
        if (protocol == Ipv4.PROTO_TCP) {
            DropReason bad = Tcp.check(buf, l4, available);
            if (bad != null) {
                return frame.drop(bad);
            }
            srcPort = Tcp.srcPort(buf, l4);
            dstPort = Tcp.dstPort(buf, l4);
            tcpFlags = Tcp.flags(buf, l4);
        } else if (protocol == Ipv4.PROTO_UDP) {
            DropReason bad = fragment ? Udp.checkFirstFragment(buf, l4, available)
                    : Udp.check(buf, l4, available);
            if (bad != null) {
                return frame.drop(bad);
            }
            srcPort = Udp.srcPort(buf, l4);
            dstPort = Udp.dstPort(buf, l4);
        } else if (protocol == Ipv4.PROTO_ICMP) {
            if (available < Icmp4.HEADER_LEN) {
                return frame.drop(DropReason.ICMP_TRUNCATED);
            }
            int type = Icmp4.type(buf, l4);
            if (Icmp4.isQueryRequest(type)) { // echo, timestamp, information, address mask: by identifier
                srcPort = Icmp4.echoId(buf, l4);
                dstPort = 0;
            } else if (Icmp4.isQueryReply(type)) {
                srcPort = 0;
                dstPort = Icmp4.echoId(buf, l4);
            } else {
                int related = Icmp4.isError(type)
                        ? IcmpErrorNat.translate(nat.conntrack(), frame.now(), buf, ip, l4, available)
                        : IcmpErrorNat.UNRELATED;
                if (related == IcmpErrorNat.UNRELATED) {
                    frame.setInvalid(); // about nothing known, opening nothing: the policy's to decide
                }
                if (frame.traced()) {
                    frame.note(IcmpErrorNat.describe(related));
                }
                return untracked(frame, buf, ip, fragment);
            }
        } else { // no ports (GRE, ESP, SCTP, ...): by its addresses alone, as netfilter's generic tracker
            srcPort = 0;
            dstPort = 0;
        }
        int src = Ipv4.src(buf, ip);
        int dst = Ipv4.dst(buf, ip);
        long hi = FlowKey.hi(src, dst);
        long lo = FlowKey.lo(protocol, srcPort, dstPort);
        ConnTable table = nat.conntrack();
        long now = frame.now();
        int handle = table.lookup(hi, lo, now);
        if (handle != ConnTable.NONE) {
            int id = Conn.id(handle);
            boolean original = Conn.isOriginal(handle);
            frame.setConnection(handle); // its route hint (see Ipv4Forward)
            if (fragment) {
                nat.fragments().record(src, dst, protocol, Ipv4.id(buf, ip), handle, now, frame);
            }
            refresh(table, nat.timeouts(), id, original, protocol, tcpFlags, now);
            if ((table.flags(id) & Conn.TRANSLATED) != 0) {
                long tLo = original ? FlowKey.invertLo(table.replyLo(id)) : FlowKey.invertLo(table.origLo(id));
                rewrite(buf, ip, l4, protocol, translatedHi(table, id, original), tLo,
                        Offload.needsChecksum(frame.offload()));
            }
            if (frame.traced()) {
                frame.note("tracked connection (replies and later packets follow its NAT)");
            }
            return deliver(frame);
        }
        boolean forwarded = false;
        if (tables.isLocal(dst)) {
            NatRules.PortForward f = protocol == Ipv4.PROTO_ICMP ? null
                    : nat.rules().forwardFor(protocol, dst, dstPort);
            if (f == null) {
                if (fragment) { // its later fragments go to the router too
                    nat.fragments().record(src, dst, protocol, Ipv4.id(buf, ip), FragmentTable.UNTRACKED, now,
                            frame);
                }
                if (frame.traced()) {
                    frame.note("for the router itself, not tracked");
                }
                return localDelivery.run(frame);
            }
            NatRewrite.translate(buf, ip, l4, protocol, NatRewrite.DST_ADDRESS | NatRewrite.DST_PORT, 0, f.target(), 0,
                    f.translate(dstPort), Offload.needsChecksum(frame.offload()));
            forwarded = true;
        }
        frame.setNewFlow(hi, lo, forwarded);
        if (frame.traced()) {
            frame.note("new connection" + (forwarded ? ", matched a port forward (DNAT applied)" : ""));
        }
        // To another host: the router's addresses were asked above, unless a port forward changed the destination.
        return forwarded ? deliver(frame) : forward.run(frame);
    }

    /**
     * After tracking (and a translation, which may have changed the destination): to the router itself, or
     * forwarded. The one place a tracked or untracked packet asks whether it is for the router.
     */
    private Stage deliver(Frame frame) {
        if (tables.isLocal(Ipv4.dst(frame.buf(), frame.l3Offset()))) {
            return localDelivery.run(frame);
        }
        return forward.run(frame);
    }

    /** The addresses a packet of connection {@code id} leaves with, in its direction ({@code original} or reply). */
    private static long translatedHi(ConnTable table, int id, boolean original) {
        return FlowKey.invertHi(original ? table.replyHi(id) : table.origHi(id));
    }

    /** A packet not tracked goes on; a first fragment records that, so its later fragments go on untracked too. */
    private Stage untracked(Frame frame, ByteBuf buf, int ip, boolean fragment) {
        if (fragment) {
            nat.fragments().record(Ipv4.src(buf, ip), Ipv4.dst(buf, ip), Ipv4.protocol(buf, ip), Ipv4.id(buf, ip),
                    FragmentTable.UNTRACKED, frame.now(), frame);
        }
        return deliver(frame);
    }

    /**
     * A fragment after the first: the connection its datagram's first fragment recorded gives the address
     * translation (ports are only in the first). One that finds nothing overtook its first fragment (or that one
     * never came): when it may need a translation (it is addressed to the router, or comes from an address NAT
     * translates) it waits for its first ({@link FragmentTable}); otherwise it goes on untracked, as one whose first
     * went on untracked does, and NAT drops it if it may belong to a translated connection.
     */
    private Stage laterFragment(Frame frame, ByteBuf buf, int ip) {
        int src = Ipv4.src(buf, ip);
        int dst = Ipv4.dst(buf, ip);
        boolean mayNeedTranslation = tables.isLocal(dst) || nat.rules().mayTranslateSomewhere(src);
        return laterFragment(frame, buf, ip, src, dst, mayNeedTranslation);
    }

    /**
     * Where a held fragment goes on, its first fragment recorded (see {@link FragmentResume}): connection tracking
     * for a fragment that is not held again. A stage of its own, named as this one in a decision trace.
     */
    final Stage resumed = new Stage() {
        @Override
        protected Stage process(Frame frame) {
            ByteBuf buf = frame.buf();
            int ip = frame.l3Offset();
            return laterFragment(frame, buf, ip, Ipv4.src(buf, ip), Ipv4.dst(buf, ip), false);
        }

        @Override
        public String name() {
            return ConntrackIn.this.name();
        }
    };

    private Stage laterFragment(Frame frame, ByteBuf buf, int ip, int src, int dst, boolean hold) {
        int handle = nat.fragments().findOrHold(src, dst, Ipv4.protocol(buf, ip), Ipv4.id(buf, ip), frame.now(),
                hold, frame, tables.iface(frame.inInterface()));
        if (handle == FragmentTable.HELD) {
            if (frame.traced()) {
                frame.note("a fragment that overtook its datagram's first fragment: held until that one comes");
            }
            return frame.consume();
        }
        if (handle == FragmentTable.HOLD_FULL) {
            return frame.drop(DropReason.FRAGMENT_HOLD_FULL);
        }
        ConnTable table = nat.conntrack();
        if (handle == ConnTable.NONE || handle == FragmentTable.UNTRACKED || !table.isLive(Conn.id(handle))) {
            if (frame.traced()) {
                frame.note("not tracked");
            }
            return deliver(frame);
        }
        int id = Conn.id(handle);
        if ((table.flags(id) & Conn.TRANSLATED) != 0) {
            long tHi = translatedHi(table, id, Conn.isOriginal(handle));
            // No transport header here (l4 -1): the addresses and the IPv4 checksum only.
            NatRewrite.translate(buf, ip, -1, Ipv4.protocol(buf, ip), NatRewrite.SRC_ADDRESS | NatRewrite.DST_ADDRESS,
                    FlowKey.src(tHi), FlowKey.dst(tHi), 0, 0, false);
        }
        frame.setFragmentTranslated();
        if (frame.traced()) {
            frame.note("a later fragment: follows its datagram's connection");
        }
        return deliver(frame);
    }

    /**
     * Marks the connection replied (and assured: answered, or for TCP once established) and moves its TCP state, by
     * compare-and-set (another loop may be handling the other direction at the same moment), then pushes its deadline
     * out by the new state's timeout. For connections of both families.
     */
    static void refresh(ConnTable table, ConntrackTimeouts timeouts, int id, boolean original, int protocol,
                        int tcpFlags, long now) {
        int state;
        int flags;
        while (true) {
            int before = table.stateAndFlags(id);
            state = before & 0xFF;
            flags = before >>> 8;
            if (!original) {
                flags |= Conn.REPLIED;
            }
            if (protocol == Ipv4.PROTO_TCP) {
                TcpState current = TcpState.of(state);
                if (current == TcpState.ESTABLISHED && (tcpFlags & 0x01) != 0 && original) {
                    flags |= Conn.ORIG_CLOSED_FIRST;
                }
                state = current.next(tcpFlags, original, (flags & Conn.ORIG_CLOSED_FIRST) != 0).ordinal();
                if (state == TcpState.ESTABLISHED.ordinal()) {
                    flags |= Conn.ASSURED; // the handshake completed
                }
            } else if (!original) {
                flags |= Conn.ASSURED; // UDP and ICMP: answered
            }
            int after = state | flags << 8;
            if (after == before || table.compareAndSetStateFlags(id, before, after)) {
                break;
            }
        }
        if (protocol == Ipv4.PROTO_TCP) {
            table.refresh(id, now, timeouts.tcp(TcpState.of(state)));
        } else if (protocol == Ipv4.PROTO_UDP) {
            table.refresh(id, now, timeouts.udp((flags & Conn.REPLIED) != 0));
        } else if (FlowKey.isIcmp(protocol)) {
            table.refresh(id, now, timeouts.icmp());
        } else {
            table.refresh(id, now, timeouts.generic());
        }
    }

    /**
     * Rewrites the packet's addresses and ports to the tuple {@code tHi/tLo} ({@link NatRewrite#translate}: TCP and
     * UDP by the one-pass fast path, an ICMP query's identifier by its direction, addresses alone for the rest).
     */
    static void rewrite(ByteBuf buf, int ip, int l4, int protocol, long tHi, long tLo, boolean partial) {
        NatRewrite.translate(buf, ip, l4, protocol, NatRewrite.TUPLE, FlowKey.src(tHi), FlowKey.dst(tHi),
                FlowKey.srcPort(tLo), FlowKey.dstPort(tLo), partial);
    }
}
