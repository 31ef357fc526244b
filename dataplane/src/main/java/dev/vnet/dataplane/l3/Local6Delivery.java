package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.Ndp;
import io.netty.buffer.ByteBuf;

/**
 * IPv6 for the router itself. A neighbour solicitation for one of its addresses is answered with an advertisement
 * (RFC 4861 section 7.2.4: router, solicited and override flags, the interface's MAC; to all nodes when the
 * solicitation came from :: doing duplicate address detection) and teaches the router where its sender is; an
 * advertisement resolves a neighbour the router asked about; a router solicitation gets an advertisement
 * ({@link RouterAdvertisements}); an echo request to one of its addresses an echo reply (RFC 4443 section 4.2); other
 * neighbour discovery messages are checked and consumed. Other upper-layer protocols find nothing listening
 * ({@code local-unreachable}; UDP answered with ICMPv6 port unreachable, within the router's ICMP error limits). What
 * comes here is only read: the frame may be a flood shared with other ports.
 */
final class Local6Delivery extends Stage {
    private static final long ALL_NODES_MAC = 0x3333_0000_0001L;
    private static final int NA_LEN = 24 + 8; // the message and one target link-layer address option
    private static final int ECHO_HOP_LIMIT = 64;

    private final RouterTables tables;
    private final IcmpRateLimit errors;

    /** The stage, its ICMPv6 errors within {@code errors} (the router's limit for ICMP errors of both families). */
    Local6Delivery(RouterTables tables, IcmpRateLimit errors) {
        this.tables = tables;
        this.errors = errors;
    }

    @Override
    protected Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        long walk = frame.walk();
        RouterInterface iface = tables.iface(frame.inInterface());
        boolean toUs = tables.isLocal6(Ipv6.dstHi(buf, ip), Ipv6.dstLo(buf, ip));
        DropReason bad;
        if (Ipv6.upperProtocol(walk) != Ipv6.NH_ICMPV6 || Ipv6.isFragment(walk)) {
            if (toUs && !Ipv6.isFragment(walk) && Ipv6.upperProtocol(walk) == Ipv6.NH_UDP) {
                error(frame, iface, ip, walk, Icmp6.TYPE_DEST_UNREACHABLE, 4, 0); // port unreachable: nothing listens
            }
            return frame.drop(DropReason.LOCAL_UNREACHABLE);
        }
        int icmp = ip + Ipv6.upperOffset(walk);
        int length = ip + Ipv6.HEADER_LEN + Ipv6.payloadLength(buf, ip) - icmp;
        bad = Icmp6.check(buf, ip, icmp, length);
        if (bad != null) {
            return frame.drop(bad);
        }
        int type = Icmp6.type(buf, icmp);
        if (Ndp.isNdp(type)) {
            bad = Ndp.check(buf, ip, icmp, length);
            if (bad != null) {
                return frame.drop(bad);
            }
            if (type == Icmp6.TYPE_NEIGHBOR_SOLICITATION
                    && iface.hasAddress6(Ndp.targetHi(buf, icmp), Ndp.targetLo(buf, icmp))) {
                learn(frame, iface, Ipv6.srcHi(buf, ip), Ipv6.srcLo(buf, ip),
                        Ndp.linkLayerAddress(buf, icmp, length, Ndp.OPT_SOURCE_LINK_ADDRESS), true);
                advertise(frame, iface, buf, ip, icmp, length);
            } else if (type == Icmp6.TYPE_NEIGHBOR_ADVERTISEMENT) {
                learn(frame, iface, Ndp.targetHi(buf, icmp), Ndp.targetLo(buf, icmp),
                        Ndp.linkLayerAddress(buf, icmp, length, Ndp.OPT_TARGET_LINK_ADDRESS), false);
            } else if (type == Icmp6.TYPE_ROUTER_SOLICITATION && RouterAdvertisements.mayAnswer(iface, frame.now())) {
                frame.inject(iface.port(), iface.output(), RouterAdvertisements.build(frame::allocate, iface,
                        tables.routes6()));
            }
            return frame.local();
        }
        if (type == Icmp6.TYPE_ECHO_REQUEST && toUs) {
            echoReply(frame, iface, buf, ip, icmp, length);
        }
        return frame.local();
    }

    /**
     * Records that {@code hi:lo} is at {@code mac} (from a neighbour discovery message's link-layer address option;
     * none, -1, records nothing), releasing what waited for it. A solicitation for one of the router's addresses
     * creates the entry (RFC 4861 7.2.3); an advertisement only updates one under way or known (7.2.5: the router
     * does not take unsolicited claims for addresses it never asked about). The router's own addresses are never
     * believed, as {@link ArpInput} does not believe them.
     */
    private void learn(Frame frame, RouterInterface iface, long hi, long lo, long mac, boolean create) {
        if (mac < 0 || Ipv6.isUnspecified(hi, lo) || tables.isLocal6(hi, lo)) {
            return;
        }
        tables.neighbors6().confirm(hi, lo, mac, iface.index(), frame.now(), create, (waiting, offload) -> {
            Ethernet.setDst(waiting, waiting.readerIndex(), mac);
            frame.inject(iface.port(), iface.output(), waiting, offload);
        });
    }

    /**
     * ICMPv6 {@code type}/{@code code} about the packet at {@code ip} (sent to one of the router's addresses), from
     * that address back to its sender, when RFC 4443 2.4(e) and the rate limit allow it.
     */
    void error(Frame frame, RouterInterface iface, int ip, long walk, int type, int code, int restOfHeader) {
        ByteBuf buf = frame.buf();
        boolean linkMulticast = MacAddr.isGroup(Ethernet.dst(buf, frame.start()));
        if (!Icmp6Errors.allowed(buf, ip, walk, type, code, linkMulticast) || !errors.allow(
                Icmp6Errors.rateKey(Ipv6.srcHi(buf, ip), Ipv6.srcLo(buf, ip)), type == Icmp6.TYPE_PACKET_TOO_BIG,
                frame.now())) {
            return;
        }
        frame.inject(iface.port(), iface.output(), Icmp6Errors.build(frame::allocate, buf, ip, type, code,
                restOfHeader, Ethernet.src(buf, frame.start()), iface.mac(), Ipv6.dstHi(buf, ip),
                Ipv6.dstLo(buf, ip)));
    }

    /** The neighbour advertisement answering the solicitation at {@code icmp}. */
    private static void advertise(Frame frame, RouterInterface iface, ByteBuf buf, int ip, int icmp, int length) {
        boolean fromUnspecified = Ipv6.isUnspecified(Ipv6.srcHi(buf, ip), Ipv6.srcLo(buf, ip));
        long mac;
        if (fromUnspecified) {
            mac = ALL_NODES_MAC;
        } else {
            long announced = Ndp.linkLayerAddress(buf, icmp, length, Ndp.OPT_SOURCE_LINK_ADDRESS);
            mac = announced >= 0 ? announced : Ethernet.src(buf, frame.start());
        }
        ByteBuf na = Icmp6Frame.allocate(frame::allocate, mac, iface.mac(), NA_LEN, Ndp.HOP_LIMIT,
                Ndp.targetHi(buf, icmp), Ndp.targetLo(buf, icmp),
                fromUnspecified ? 0xFF02_0000_0000_0000L : Ipv6.srcHi(buf, ip),
                fromUnspecified ? 1 : Ipv6.srcLo(buf, ip));
        int out = Icmp6Frame.ICMP;
        na.setByte(out + Icmp6.TYPE, Icmp6.TYPE_NEIGHBOR_ADVERTISEMENT);
        na.setByte(out + Icmp6.CODE, 0);
        int flags = Ndp.NA_ROUTER | (fromUnspecified ? 0 : Ndp.NA_SOLICITED) | Ndp.NA_OVERRIDE;
        na.setInt(out + Ndp.NA_FLAGS, flags << 24);
        na.setBytes(out + Ndp.TARGET, buf, icmp + Ndp.TARGET, 16);
        na.setByte(out + 24, Ndp.OPT_TARGET_LINK_ADDRESS);
        na.setByte(out + 25, 1);
        MacAddr.set(na, out + 26, iface.mac());
        Icmp6.updateChecksum(na, Ethernet.HEADER_LEN, out, NA_LEN);
        frame.inject(iface.port(), iface.output(), na);
    }

    /** The echo reply to the request at {@code icmp}, from the address it was sent to, carrying its data back. */
    private static void echoReply(Frame frame, RouterInterface iface, ByteBuf buf, int ip, int icmp, int length) {
        ByteBuf reply = Icmp6Frame.allocate(frame::allocate, Ethernet.src(buf, frame.start()), iface.mac(), length,
                ECHO_HOP_LIMIT, Ipv6.dstHi(buf, ip), Ipv6.dstLo(buf, ip), Ipv6.srcHi(buf, ip), Ipv6.srcLo(buf, ip));
        int out = Icmp6Frame.ICMP;
        reply.setBytes(out, buf, icmp, length);
        reply.setByte(out + Icmp6.TYPE, Icmp6.TYPE_ECHO_REPLY);
        Icmp6.updateChecksum(reply, Ethernet.HEADER_LEN, out, length);
        frame.inject(iface.port(), iface.output(), reply);
    }
}
