package dev.vnet.dataplane.nat;

import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.FlowKey;

/**
 * The NAT decision for a new connection, as a pure function of tuples (no packets): from the original tuple, the
 * destination a port forward chose (or the original one), and the interfaces it came in and goes out by, the reply
 * tuple the connection will be known by. Source NAT happens when a MASQUERADE rule matches, or for hairpin: a
 * forwarded connection that leaves by the interface it came in on gets the egress address as source, as netfilter's
 * hairpin masquerade does, so the target's replies come back through the router.
 *
 * <p>Results are left in fields, so planning allocates nothing. There is one planner per router, shared by every
 * event loop: a plan and the reading of its results happen under the connection table's lock ({@code NatOut}).
 */
public final class NatPlanner {
    /** The plan succeeded. */
    public static final int OK = 0;
    /** Source NAT found no free port: the new connection cannot be made. */
    public static final int EXHAUSTED = 1;
    /**
     * Source NAT of a protocol without ports: another connection of that protocol between the same two addresses
     * has the reply tuple already, and there is no port to tell them apart (netfilter drops it too).
     */
    public static final int TAKEN = 2;

    private final NatRules rules;
    private final PortAllocator ports;

    private long replyHi;
    private long replyLo;
    private boolean sourceNat;
    private int natSource;
    private int natPort;

    /** A planner over {@code rules}, choosing ports with {@code ports}. */
    public NatPlanner(NatRules rules, PortAllocator ports) {
        this.rules = rules;
        this.ports = ports;
    }

    /**
     * Plans a new connection.
     *
     * @param protocol       6, 17, 1, or any other (tracked without ports: both 0)
     * @param src            original source address
     * @param srcPort        original source port (ICMP: query identifier)
     * @param dst            destination after DNAT (the original when no port forward applied)
     * @param dstPort        destination port after DNAT (ICMP: 0)
     * @param forwarded      true when a port forward rewrote the destination
     * @param inInterface    router interface it arrived on
     * @param outInterface   router interface it leaves by
     * @param outAddress     that interface's address (the MASQUERADE source)
     * @return {@link #OK}, {@link #EXHAUSTED} or {@link #TAKEN}
     */
    public int plan(ConnTable table, long now, int protocol, int src, int srcPort, int dst, int dstPort,
                    boolean forwarded, int inInterface, int outInterface, int outAddress) {
        sourceNat = rules.masquerades(src, outInterface) || (forwarded && inInterface == outInterface);
        natSource = src;
        natPort = srcPort;
        if (sourceNat) {
            natSource = outAddress;
            if (!FlowKey.hasPorts(protocol)) { // the tuple as it is, or none
                if (!PortAllocator.free(table, now, protocol, dst, 0, outAddress, 0)) {
                    return TAKEN;
                }
            } else {
                int port = ports.choose(table, now, protocol, dst, dstPort, outAddress, srcPort);
                if (port == PortAllocator.EXHAUSTED) {
                    return EXHAUSTED;
                }
                natPort = port;
            }
        }
        replyHi = FlowKey.hi(dst, natSource);
        replyLo = protocol == 1 ? FlowKey.lo(protocol, 0, natPort) : FlowKey.lo(protocol, dstPort, natPort);
        return OK;
    }

    /** Reply tuple, high word. */
    public long replyHi() {
        return replyHi;
    }

    /** Reply tuple, low word. */
    public long replyLo() {
        return replyLo;
    }

    /** True when the plan rewrites the source. */
    public boolean sourceNat() {
        return sourceNat;
    }

    /** The source address after NAT. */
    public int natSource() {
        return natSource;
    }

    /** The source port (ICMP: identifier) after NAT. */
    public int natPort() {
        return natPort;
    }
}
