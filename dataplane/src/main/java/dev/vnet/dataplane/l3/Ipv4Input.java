package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Options;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;

/**
 * IPv4 arriving at the router: the header is checked (RFC 1812 section 5.2.2), its options by the kernel's rules (a
 * malformed one answered with ICMP parameter problem, a source route dropped as the kernel does unless
 * accept_source_route is on), martian addresses dropped as by the kernel; broadcasts and multicast are taken but
 * not forwarded; a unicast packet for another host that came in a link-layer broadcast is not forwarded (section
 * 5.3.4); the rest goes to connection tracking, which decides between local delivery and forwarding.
 */
final class Ipv4Input extends Stage {
    /** First bytes of addresses that need a closer look: 0, 127, and 224 up (multicast, class E, broadcast). */
    private static final boolean[] UNUSUAL = new boolean[256];

    static {
        UNUSUAL[0] = true;
        UNUSUAL[127] = true;
        for (int b = 224; b < 256; b++) {
            UNUSUAL[b] = true;
        }
    }

    private final RouterTables tables;
    private final ConntrackIn conntrack;
    private final IcmpError badOptions;

    Ipv4Input(RouterTables tables, ConntrackIn conntrack, IcmpError badOptions) {
        this.tables = tables;
        this.conntrack = conntrack;
        this.badOptions = badOptions;
    }

    @Override
    protected Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        DropReason bad = Ipv4.check(buf, ip, frame.start() + frame.length() - ip);
        if (bad != null) {
            return frame.drop(bad);
        }
        if (Ipv4Options.present(buf, ip)) {
            int options = Ipv4Options.check(buf, ip);
            if (options != Ipv4Options.SOUND) {
                return refuseOptions(frame, options);
            }
        }
        int dst = Ipv4.dst(buf, ip);
        int src = Ipv4.src(buf, ip);
        // One table look-up per address decides for nearly every packet; the rest is out of line.
        if ((UNUSUAL[src >>> 24] | UNUSUAL[dst >>> 24] || tables.isLocal(src)
                || tables.iface(frame.inInterface()).isSubnetBroadcast(dst)) && stopsHere(frame, src, dst)) {
            return null; // dropped as a martian, or taken: broadcast and multicast stop at the router
        }
        if (MacAddr.isGroup(Ethernet.dst(buf, frame.start())) && !tables.isLocal(dst)) {
            return frame.drop(DropReason.LINK_BROADCAST_NOT_ROUTED);
        }
        int end = ip + Ipv4.totalLength(buf, ip);
        if (end < frame.start() + frame.length()) {
            frame.trimTo(end - frame.start()); // unicast to the router: the buffer is this frame's alone
        }
        return conntrack.run(frame);
    }

    /**
     * Packets with an address that needs a closer look ({@link #UNUSUAL}, the router's own as source, a subnet
     * broadcast): true when dropped as martian or taken as broadcast or multicast (the frame's verdict set), false
     * when the packet goes on (a class E destination, say).
     */
    private boolean stopsHere(Frame frame, int src, int dst) {
        DropReason martian = martian(src, dst);
        if (martian != null) {
            frame.drop(martian);
            return true;
        }
        if (broadcastOrMulticast(src, dst) || tables.iface(frame.inInterface()).isSubnetBroadcast(dst)) {
            frame.local();
            return true;
        }
        return false;
    }

    /** Limited broadcast, multicast, or 0.0.0.0 from 0.0.0.0 (which the kernel takes as a broadcast). */
    private static boolean broadcastOrMulticast(int src, int dst) {
        return dst == -1 || (dst >>> 28) == 0xE || (dst | src) == 0;
    }

    /**
     * The addresses no packet may carry into a router, as the kernel's ip_route_input_slow (and ip_route_input_mc)
     * refuse them with route_localnet and accept_local off: a multicast or broadcast source; a source in 0.0.0.0/8
     * except to a broadcast or multicast destination (a host asking for its address); a destination in 0.0.0.0/8
     * (but 0.0.0.0 from 0.0.0.0, taken as a broadcast) or 127.0.0.0/8; a source in 127.0.0.0/8; and a source that
     * is one of the router's own addresses (spoofing the router). Null when the addresses may go on. The kernel
     * answers none of these; neither does vnet.
     */
    private DropReason martian(int src, int dst) {
        int s = src >>> 24;
        int d = dst >>> 24;
        if ((s & 0xF0) == 0xE0 || src == -1) {
            return DropReason.IPV4_MARTIAN_SOURCE;
        }
        if (broadcastOrMulticast(src, dst)) {
            return null; // taken, from an address-less host too
        }
        if (s == 0) {
            return DropReason.IPV4_MARTIAN_SOURCE;
        }
        if (d == 0 || d == 127) {
            return DropReason.IPV4_MARTIAN_DESTINATION;
        }
        if (s == 127 || tables.isLocal(src)) {
            return DropReason.IPV4_MARTIAN_SOURCE;
        }
        return null;
    }

    /**
     * Options the kernel's rules refuse ({@link Ipv4Options#check}; out of line: rare, and {@link #process} stays
     * small enough to be inlined): a source route is dropped silently, as by the kernel's default; a malformed option
     * is answered with parameter problem pointing at its bad byte.
     */
    private Stage refuseOptions(Frame frame, int options) {
        if (options == Ipv4Options.SOURCE_ROUTED) {
            return frame.drop(DropReason.IPV4_SOURCE_ROUTED);
        }
        frame.setErrorDetail(options << 24);
        return badOptions;
    }
}
