package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;

/**
 * Where a stage sends a packet the router refuses with an ICMP or ICMPv6 error (as VPP's ip4-icmp-error and
 * ip6-icmp-error nodes): the graph has one of these per kind of error, each with its type and code and the drop reason
 * the packet is counted under. It answers the packet's sender through its family's {@link Sender} ({@link IcmpOutput},
 * {@link Icmp6Output}; either may decline: RFC 1812's and RFC 4443's rules, the rate limit) and drops the packet. The
 * error's second header word (an MTU, a pointer) is the frame's {@link Frame#errorDetail}.
 */
final class IcmpError extends Stage {
    /** What sends one family's errors. */
    interface Sender {
        /** Sends {@code type}/{@code code} about the packet in {@code frame} to its source; false when none was sent. */
        boolean error(Frame frame, int type, int code, int restOfHeader);

        /** The packet's source, as a decision trace names who the error went to. */
        String sourceOf(Frame frame);
    }

    private final Sender icmp;
    private final int type;
    private final int code;
    private final DropReason reason;
    private final String label;

    /** {@code type}/{@code code} ({@code label}, as tcpdump names it), the packet dropped as {@code reason}. */
    IcmpError(Sender icmp, String label, int type, int code, DropReason reason) {
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
            frame.note(label + (sent ? " sent to " + icmp.sourceOf(frame)
                    : " not sent (not about this packet, or over the rate limit)"));
        }
        return frame.drop(reason);
    }
}
