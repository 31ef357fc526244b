package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.conntrack.Conn;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Pipeline;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the router says back to senders: ICMP errors (through {@link IcmpError}, or from the timer), ICMP redirects
 * and TCP resets, each only where RFC 1812 allows an answer, errors and redirects within their rate limits, as the
 * kernel limits them. Everything it builds re-enters the graph at {@link LocalOutput} and is routed like any packet
 * the router sends.
 */
final class IcmpOutput implements IcmpError.Sender {
    private final RouterTables tables;
    private final NatState nat;
    private final LocalOutput localOutput;
    private final AtomicInteger nextIpId = new AtomicInteger(1);
    /** ICMP errors the router may send: per destination and all together. */
    private final IcmpRateLimit errors = new IcmpRateLimit();
    /** ICMP redirects the router may send, per host. */
    private final RedirectLimit redirects = new RedirectLimit();

    IcmpOutput(RouterTables tables, NatState nat, LocalOutput localOutput) {
        this.tables = tables;
        this.nat = nat;
        this.localOutput = localOutput;
    }

    /** The IP identification of the next packet the router builds (any loop may build one). */
    int nextIpId() {
        return nextIpId.getAndIncrement() & 0xFFFF;
    }

    /**
     * Sends ICMP type/code about the packet in {@code frame} back to its source, when RFC 1812 allows it and the rate
     * limit has room (RFC 1812 4.3.2.8: a router should limit the rate of ICMP errors it originates). False when
     * none was sent.
     */
    @Override
    public boolean error(Frame frame, int type, int code, int restOfHeader) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        if (!mayAnswer(frame) || !errors.allow(Ipv4.src(buf, ip), type, code, frame.now())) {
            return false;
        }
        RouterInterface in = frame.inInterface() >= 0 ? tables.iface(frame.inInterface()) : null;
        ByteBuf error = IcmpErrors.build(frame::allocate, buf, ip, type, code, restOfHeader, tables.errorSource(in),
                nextIpId());
        frame.inject(frame.inPort(), localOutput, error);
        return true;
    }

    /**
     * The packet in {@code frame} leaves by the interface it came in on: its sender could have sent it straight to the
     * next hop, and is told so with an ICMP host redirect (RFC 792; RFC 1812 section 5.2.7.2), as the kernel does
     * with its default send_redirects: only to a sender on that interface's subnet, from the router's address there,
     * never about a packet an ICMP error may not be sent about, and at most as often as {@link RedirectLimit} allows.
     * Not for a translated connection (a port forward used from the inside): a host following it would send to the
     * inside address directly, around the translation. A kernel router counts one there (IcmpOutRedirects), but in
     * a test here the host received nothing and the hairpin kept working, which is what vnet gives.
     * The packet itself is forwarded all the same. True when a redirect was sent.
     */
    boolean redirect(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        RouterInterface in = tables.iface(frame.inInterface());
        int sender = Ipv4.src(buf, ip);
        if (!in.onLink(sender) || frame.portForwarded() || !mayAnswer(frame)) {
            return false;
        }
        int handle = frame.connection();
        if (handle >= 0 && (nat.conntrack().flags(Conn.id(handle)) & Conn.TRANSLATED) != 0) {
            return false;
        }
        if (!redirects.allow(sender, frame.now())) {
            return false;
        }
        ByteBuf redirect = IcmpErrors.build(frame::allocate, buf, ip, Icmp4.TYPE_REDIRECT, 1, frame.nextHop(),
                RouterTables.sourceFor(in, sender), nextIpId());
        frame.inject(frame.inPort(), localOutput, redirect);
        return true;
    }

    /**
     * Answers the TCP segment at {@code tcp} in {@code frame}, addressed to the router, with a reset (it serves no
     * TCP port), when the segment is not a reset itself and came from a unicast host. Not rate-limited, as the
     * kernel's resets are not: one answer per segment received.
     */
    void tcpReset(Frame frame, int tcp) {
        ByteBuf buf = frame.buf();
        if (!mayAnswer(frame) || !TcpResets.allowed(buf, tcp)) {
            return;
        }
        frame.inject(frame.inPort(), localOutput, TcpResets.build(frame::allocate, buf, frame.l3Offset(), tcp,
                nextIpId()));
    }

    /** True when the packet in {@code frame} may be answered (RFC 1812 4.3.2.7, see {@link IcmpErrors#allowed}). */
    private static boolean mayAnswer(Frame frame) {
        boolean linkBroadcast = MacAddr.isGroup(Ethernet.dst(frame.buf(), frame.start()));
        return IcmpErrors.allowed(frame.buf(), frame.l3Offset(), linkBroadcast);
    }

    /**
     * From the timer: sends ICMP {@code type}/{@code code} from {@code src} about the packet at {@code l3} in
     * {@code about} (not a link broadcast) out by {@code port}, when RFC 1812 and the rate limits allow it.
     */
    void timerError(Pipeline pipeline, Port port, ByteBuf about, int l3, int type, int code, int src, long now) {
        if (IcmpErrors.allowed(about, l3, false) && errors.allow(Ipv4.src(about, l3), type, code, now)) {
            pipeline.inject(port, localOutput, IcmpErrors.build(pipeline::allocate, about, l3, type, code, 0, src,
                    nextIpId()));
        }
    }

    @Override
    public String sourceOf(Frame frame) {
        return dev.vnet.dataplane.wire.Ipv4Addr.toString(Ipv4.src(frame.buf(), frame.l3Offset()));
    }

    /** The limit on ICMP errors, which ICMPv6 errors share (as the kernel's global budget is shared). */
    IcmpRateLimit errorLimit() {
        return errors;
    }

    /** Where the packets the router builds enter the graph. */
    Stage localOutput() {
        return localOutput;
    }

    long redirectsSent() {
        return redirects.allowed();
    }

    long errorsSuppressed() {
        return errors.refused();
    }
}
