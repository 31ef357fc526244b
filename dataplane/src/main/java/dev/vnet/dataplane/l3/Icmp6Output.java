package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.conntrack.Conn;
import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Pipeline;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;

/**
 * The ICMPv6 errors the router sends about packets it forwards or gives up on (through {@link IcmpError}, or from the
 * timer): only where RFC 4443 2.4(e) allows one ({@link Icmp6Errors#allowed}), within the rate limits the router's
 * ICMP errors share (RFC 4443 2.4(f); Packet Too Big exempt, as the kernel exempts it for path-MTU discovery), from
 * the router's address toward the sender ({@link RouterTables#source6For}), and routed back like any packet the
 * router sends ({@link Ipv6Output}).
 */
final class Icmp6Output implements IcmpError.Sender {
    private final RouterTables tables;
    private final IcmpRateLimit errors;
    private final Ipv6Output output;
    private final ConnTable conntrack;

    Icmp6Output(RouterTables tables, IcmpRateLimit errors, Ipv6Output output, ConnTable conntrack) {
        this.tables = tables;
        this.errors = errors;
        this.output = output;
        this.conntrack = conntrack;
    }

    /**
     * Sends ICMPv6 {@code type}/{@code code} with {@code restOfHeader} (an MTU, a pointer) about the packet in
     * {@code frame} to its source; false when none may be sent.
     */
    @Override
    public boolean error(Frame frame, int type, int code, int restOfHeader) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        boolean linkMulticast = MacAddr.isGroup(Ethernet.dst(buf, frame.start()));
        if (!mayAnswer(buf, ip, type, code, linkMulticast, frame.now())) {
            return false;
        }
        RouterInterface in = tables.iface(frame.inInterface());
        long srcHi = Ipv6.srcHi(buf, ip);
        Ipv6Address from = tables.source6For(in, srcHi, Ipv6.srcLo(buf, ip));
        if (Ipv6.isLinkLocal(srcHi)) { // no route names a link-local address: back to the sender on its link
            frame.inject(in.port(), in.output(), Icmp6Errors.build(frame::allocate, buf, ip, type, code,
                    restOfHeader, Ethernet.src(buf, frame.start()), in.mac(), from.hi(), from.lo()));
        } else if (tables.routes6().lookup(srcHi, Ipv6.srcLo(buf, ip)) == Route6Table.NO_ROUTE) {
            return false; // no way back to the sender: nothing to build
        } else {
            ByteBuf e = Icmp6Errors.build(frame::allocate, buf, ip, type, code, restOfHeader, 0, in.mac(), from.hi(),
                    from.lo());
            int handle = frame.connection();
            if (handle >= 0 && (conntrack.flags(Conn.id(handle)) & Conn.TRANSLATED) != 0) {
                // About a packet of a translated connection, which connection tracking rewrote before routing (its
                // source made the router's, or its destination the port forward's target): the error goes to the
                // sender about the packet as it sent it.
                Icmp6ErrorNat.translate(conntrack, frame.now(), e, Ethernet.HEADER_LEN, Icmp6Frame.ICMP,
                        e.readableBytes() - Icmp6Frame.ICMP);
            }
            frame.inject(frame.inPort(), output, e);
        }
        return true;
    }

    @Override
    public String sourceOf(Frame frame) {
        return new Ipv6Address(Ipv6.srcHi(frame.buf(), frame.l3Offset()), Ipv6.srcLo(frame.buf(), frame.l3Offset()))
                .toString();
    }

    /**
     * From the timer: ICMPv6 {@code type}/{@code code} about the packet at {@code ip} in {@code about}, which was to
     * leave by {@code out}, sent back to its source by {@code port} when RFC 4443 and the rate limits allow it.
     */
    void timerError(Pipeline pipeline, Port port, RouterInterface out, ByteBuf about, int ip, int type, int code,
                    long now) {
        if (mayAnswer(about, ip, type, code, false, now)) {
            Ipv6Address from = tables.source6For(out, Ipv6.srcHi(about, ip), Ipv6.srcLo(about, ip));
            pipeline.inject(port, output, Icmp6Errors.build(pipeline::allocate, about, ip, type, code, 0, 0,
                    out.mac(), from.hi(), from.lo()));
        }
    }

    private boolean mayAnswer(ByteBuf buf, int ip, int type, int code, boolean linkMulticast, long now) {
        return Icmp6Errors.allowed(buf, ip, Ipv6.walk(buf, ip), type, code, linkMulticast)
                && errors.allow(Icmp6Errors.rateKey(Ipv6.srcHi(buf, ip), Ipv6.srcLo(buf, ip)),
                type == Icmp6.TYPE_PACKET_TOO_BIG, now);
    }
}
