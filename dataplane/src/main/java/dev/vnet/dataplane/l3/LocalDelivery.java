package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Checksum;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Options;
import dev.vnet.dataplane.wire.Tcp;
import io.netty.buffer.ByteBuf;

/**
 * Packets addressed to the router itself: an ICMP echo request becomes its reply in place and is routed back
 * (RFC 1122 section 3.2.2.6), a fragmented one once {@link LocalReassembly} has it whole, one with IP options as a
 * new packet carrying its record route and timestamp options, stamped ({@link IpOptionStamps}); other ICMP is taken
 * silently; TCP gets a reset ({@link TcpResets}), UDP ICMP port unreachable, other protocols protocol unreachable
 * (the router serves nothing), as the kernel answers for ports nothing listens on.
 */
final class LocalDelivery extends Stage {
    private static final int DEFAULT_TTL = 64;

    private final RouterTables tables;
    private final NatState nat;
    private final IcmpOutput icmpOut;
    private final IcmpError portUnreachable;
    private final IcmpError protocolUnreachable;
    private final LocalOutput localOutput;
    private final Ipv4Output output;

    LocalDelivery(RouterTables tables, NatState nat, IcmpOutput icmp, IcmpError portUnreachable,
                  IcmpError protocolUnreachable, LocalOutput localOutput, Ipv4Output output) {
        this.tables = tables;
        this.nat = nat;
        this.icmpOut = icmp;
        this.portUnreachable = portUnreachable;
        this.protocolUnreachable = protocolUnreachable;
        this.localOutput = localOutput;
        this.output = output;
    }

    @Override
    protected Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        int protocol = Ipv4.protocol(buf, ip);
        if (Ipv4.isFragment(buf, ip)) {
            if (protocol == Ipv4.PROTO_ICMP) { // perhaps a ping bigger than the link's MTU: reassembled, answered
                RouterInterface in = frame.inInterface() >= 0 ? tables.iface(frame.inInterface()) : null;
                ByteBuf whole = nat.localReassembly().add(buf, ip, frame.now(), in, frame::allocate);
                if (whole != null) {
                    answerReassembled(frame, whole);
                }
            }
            return frame.local(); // its data was copied: the pipeline releases the fragment
        }
        int l4 = ip + Ipv4.headerLength(buf, ip);
        int l4Length = Ipv4.totalLength(buf, ip) - Ipv4.headerLength(buf, ip);
        if (protocol == Ipv4.PROTO_ICMP) {
            DropReason bad = Icmp4.check(buf, l4, l4Length);
            if (bad != null) {
                return frame.drop(bad);
            }
            if (Icmp4.type(buf, l4) != Icmp4.TYPE_ECHO_REQUEST || buf.refCnt() != 1) {
                return frame.local();
            }
            return echoReply(frame, buf, ip, l4);
        }
        if (protocol == Ipv4.PROTO_TCP) {
            DropReason bad = Tcp.check(buf, l4, l4Length);
            if (bad != null) {
                return frame.drop(bad);
            }
            icmpOut.tcpReset(frame, l4);
            return frame.drop(DropReason.LOCAL_UNREACHABLE);
        }
        return protocol == Ipv4.PROTO_UDP ? portUnreachable : protocolUnreachable;
    }

    private Stage echoReply(Frame frame, ByteBuf buf, int ip, int icmp) {
        if (Ipv4Options.present(buf, ip)) {
            ByteBuf reply = replyWithOptions(frame, buf, ip, icmp);
            if (reply != null) {
                frame.inject(frame.inPort(), localOutput, reply);
            }
            return frame.local();
        }
        toEchoReply(buf, ip, icmp);
        return output;
    }

    /**
     * The reply to an echo request with options, built anew as the kernel's icmp_reply builds it: the request's
     * record route and timestamp options, with the router's entries on receipt and on sending, and no others (so
     * the header may shrink); null where the kernel sends no reply ({@link IpOptionStamps#writeEcho}).
     */
    private ByteBuf replyWithOptions(Frame frame, ByteBuf request, int ip, int icmp) {
        int local = Ipv4.dst(request, ip);
        int time = tables.optionTimestamp();
        int stamped = IpOptionStamps.stamp(request, ip, local, time, tables);
        int header = Ipv4.MIN_HEADER_LEN + IpOptionStamps.echoLength(request, ip);
        int icmpLength = Ipv4.totalLength(request, ip) - Ipv4.headerLength(request, ip);
        ByteBuf out = frame.allocate(Ethernet.HEADER_LEN + header + icmpLength);
        out.writeZero(Ethernet.HEADER_LEN + header + icmpLength);
        Ethernet.setType(out, 0, Ethernet.TYPE_IPV4);
        int oip = Ethernet.HEADER_LEN;
        if (!IpOptionStamps.writeEcho(request, ip, stamped, out, oip + Ipv4.MIN_HEADER_LEN, local, time, tables)) {
            out.release();
            return null;
        }
        Ipv4.write(out, oip, header + icmpLength, Ipv4.id(request, ip), Ipv4.flagsFragment(request, ip)
                & Ipv4.FLAG_DF, DEFAULT_TTL, Ipv4.PROTO_ICMP, local, Ipv4.src(request, ip));
        out.setByte(oip + Ipv4.TOS, request.getUnsignedByte(ip + Ipv4.TOS)); // the kernel answers with the same TOS
        out.setByte(oip, (4 << 4) | header / 4);
        Ipv4.updateChecksum(out, oip);
        int reply = oip + header;
        out.setBytes(reply, request, icmp, icmpLength);
        out.setByte(reply + Icmp4.TYPE, Icmp4.TYPE_ECHO_REPLY);
        Icmp4.updateChecksum(out, reply, icmpLength);
        return out;
    }

    /**
     * A datagram reassembled from fragments to the router: an echo request is answered (the reply, as big, is
     * fragmented on its way out if it must be); anything else is taken silently.
     */
    private void answerReassembled(Frame frame, ByteBuf whole) {
        int ip = Ethernet.HEADER_LEN;
        int icmp = ip + Ipv4.headerLength(whole, ip);
        int length = Ipv4.totalLength(whole, ip) - Ipv4.headerLength(whole, ip);
        if (Icmp4.check(whole, icmp, length) != null || Icmp4.type(whole, icmp) != Icmp4.TYPE_ECHO_REQUEST) {
            whole.release();
            return;
        }
        if (Ipv4Options.present(whole, ip)) {
            ByteBuf reply = replyWithOptions(frame, whole, ip, icmp);
            whole.release();
            if (reply != null) {
                frame.inject(frame.inPort(), localOutput, reply);
            }
            return;
        }
        toEchoReply(whole, ip, icmp);
        frame.inject(frame.inPort(), localOutput, whole);
    }

    /** Turns the echo request at {@code ip} into its reply in place: addresses swapped, TTL 64, type 0. */
    private static void toEchoReply(ByteBuf buf, int ip, int icmp) {
        int src = Ipv4.src(buf, ip);
        int dst = Ipv4.dst(buf, ip);
        buf.setInt(ip + Ipv4.SRC, dst); // swapping the addresses leaves the header checksum as it is
        buf.setInt(ip + Ipv4.DST, src);
        int oldTtlWord = buf.getUnsignedShort(ip + Ipv4.TTL);
        int newTtlWord = (DEFAULT_TTL << 8) | (oldTtlWord & 0xFF);
        buf.setShort(ip + Ipv4.TTL, newTtlWord);
        buf.setShort(ip + Ipv4.CHECKSUM, Checksum.update16(buf.getUnsignedShort(ip + Ipv4.CHECKSUM), oldTtlWord,
                newTtlWord));
        int oldTypeWord = buf.getUnsignedShort(icmp);
        int newTypeWord = (Icmp4.TYPE_ECHO_REPLY << 8) | (oldTypeWord & 0xFF);
        buf.setShort(icmp, newTypeWord);
        buf.setShort(icmp + Icmp4.CHECKSUM, Checksum.update16(buf.getUnsignedShort(icmp + Icmp4.CHECKSUM),
                oldTypeWord, newTypeWord));
    }
}
