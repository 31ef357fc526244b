package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.filter.FilterRule;
import dev.vnet.dataplane.filter.Policy;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Tcp;

/**
 * The filter's place in the router: where a new connection's first packet, routed and about to get its source NAT
 * and be recorded ({@link NatOut}, {@link NatOut6}), is decided by the policy ({@link Policy}), as nft's forward chain
 * decides it between DNAT and SNAT. Accepted: it goes on. Dropped: counted as {@code policy-drop}. Rejected: counted
 * as {@code policy-reject}, and the sender told as nft's {@code reject} tells it: a TCP segment with a reset (IPv4),
 * anything else with ICMP (ICMPv6) port unreachable. A rejected or dropped packet makes no connection, so its
 * retransmissions are decided again. The decision trace and drop captures name the rule that decided.
 */
final class ForwardFilter {
    /** {@link #check}: the packet may go on. (Null means "done" to a stage: a drop returns it.) */
    static final Stage GO_ON = new Stage() {
        @Override
        protected Stage process(Frame frame) {
            throw new IllegalStateException("GO_ON is a mark, not a stage to run");
        }
    };

    private final Policy policy;
    private final IcmpOutput icmp;
    private final IcmpError unreachable;
    private final IcmpError unreachable6;
    private final IcmpError prohibited;
    private final IcmpError prohibited6;

    /** Rejects answer through these: port unreachable and administratively prohibited, for either family. */
    ForwardFilter(Policy policy, IcmpOutput icmp, IcmpError unreachable, IcmpError unreachable6, IcmpError prohibited,
                  IcmpError prohibited6) {
        this.policy = policy;
        this.icmp = icmp;
        this.unreachable = unreachable;
        this.unreachable6 = unreachable6;
        this.prohibited = prohibited;
        this.prohibited6 = prohibited6;
    }

    /**
     * What becomes of a new connection's first packet: {@link #GO_ON}, or what a stage returns instead (a drop,
     * an error to send).
     * {@code l4} is its transport header (TCP's flags decide new or invalid), {@code port} its destination port after
     * DNAT (ICMP: its type).
     */
    Stage check(Frame frame, boolean v6, long srcHi, long srcLo, long dstHi, long dstLo, int protocol, int l4,
                int port) {
        if (policy.acceptsAll()) {
            return GO_ON;
        }
        int state = protocol == 6 && (Tcp.flags(frame.buf(), l4) & 0x12) != 0x02 ? FilterRule.INVALID : FilterRule.NEW;
        return decide(frame, v6, srcHi, srcLo, dstHi, dstLo, protocol, l4, port, state);
    }

    /**
     * What becomes of an ICMP packet connection tracking found {@link Frame#invalid} (an error about no known
     * connection, a type that opens nothing): the rules decide it as state invalid, its ICMP type as its port. An
     * ICMP error about a known connection (related) is the connection's, and never comes here.
     */
    Stage checkInvalid(Frame frame, boolean v6, long srcHi, long srcLo, long dstHi, long dstLo, int protocol,
                       int l4) {
        if (policy.acceptsAll()) {
            return GO_ON;
        }
        return decide(frame, v6, srcHi, srcLo, dstHi, dstLo, protocol, l4, frame.buf().getUnsignedByte(l4),
                FilterRule.INVALID);
    }

    private Stage decide(Frame frame, boolean v6, long srcHi, long srcLo, long dstHi, long dstLo, int protocol, int l4,
                         int port, int state) {
        int rule = policy.decide(v6, frame.inInterface(), frame.outInterface(), srcHi, srcLo, dstHi, dstLo, protocol,
                port, state, frame.portForwarded(), frame.length());
        FilterRule.Action action = policy.action(rule);
        if (policy.mayLog(rule, frame.now())) {
            policy.log(rule, (action == FilterRule.Action.ACCEPT ? "accept" : action == FilterRule.Action.DROP
                    ? "drop" : "reject") + " " + FlowKey.protocolName(protocol) + " "
                    + endpoint(v6, srcHi, srcLo) + " -> " + endpoint(v6, dstHi, dstLo) + " port " + port + " in "
                    + frame.inInterface() + " out " + frame.outInterface());
        }
        if (frame.traced()) {
            frame.note("policy: " + policy.name(rule) + " " + switch (action) {
                case ACCEPT -> "accepts";
                case DROP -> "drops";
                case REJECT, REJECT_PORT_UNREACHABLE, REJECT_ADMIN_PROHIBITED -> "rejects";
            });
        }
        if (action != FilterRule.Action.ACCEPT) {
            frame.setDropDetail(policy.name(rule));
        }
        return switch (action) {
            case ACCEPT -> GO_ON;
            case DROP -> frame.drop(DropReason.POLICY_DROP);
            case REJECT -> reject(frame, v6, protocol, l4);
            case REJECT_PORT_UNREACHABLE -> v6 ? unreachable6 : unreachable;
            case REJECT_ADMIN_PROHIBITED -> v6 ? prohibited6 : prohibited;
        };
    }

    private static String endpoint(boolean v6, long hi, long lo) {
        return v6 ? new Ipv6Address(hi, lo).toString() : Ipv4Addr.toString((int) lo);
    }

    private Stage reject(Frame frame, boolean v6, int protocol, int l4) {
        if (v6) {
            return unreachable6;
        }
        if (protocol == 6) {
            icmp.tcpReset(frame, l4);
            return frame.drop(DropReason.POLICY_REJECT);
        }
        return unreachable;
    }
}
