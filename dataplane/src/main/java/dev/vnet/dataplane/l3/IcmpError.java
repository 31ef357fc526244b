package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Addr;

/**
 * Where a stage sends a packet the router refuses with an ICMP error (as VPP's ip4-icmp-error node): the graph has
 * one of these per kind of error, each with its ICMP type and code and the drop reason the packet is counted under.
 * It answers the packet's sender through {@link IcmpOutput} (which may decline: RFC 1812's rules, the rate limit)
 * and drops the packet. The error's second header word is the frame's {@link Frame#errorDetail}.
 */
final class IcmpError extends Stage {
    private final IcmpOutput icmp;
    private final int type;
    private final int code;
    private final DropReason reason;
    private final String label;

    /** ICMP {@code type}/{@code code} ({@code label}, as tcpdump names it), the packet dropped as {@code reason}. */
    IcmpError(IcmpOutput icmp, String label, int type, int code, DropReason reason) {
        this.icmp = icmp;
        this.label = label;
        this.type = type;
        this.code = code;
        this.reason = reason;
    }

    @Override
    protected Stage process(Frame frame) {
        boolean sent = icmp.error(frame, type, code, frame.errorDetail());
        if (frame.traced()) {
            frame.note("ICMP " + label + (sent ? " sent to "
                    + Ipv4Addr.toString(Ipv4.src(frame.buf(), frame.l3Offset()))
                    : " not sent (not about this packet, or over the rate limit)"));
        }
        return frame.drop(reason);
    }
}
