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
 * <p>A plan is returned as one {@code long} (its decoders are the static methods below), so planning allocates
 * nothing and leaves nothing behind: the planner holds no result between calls. There is one planner per router,
 * shared by every event loop; a plan happens under the connection table's lock ({@code NatOut}), which the port
 * allocator's search and generator need.
 */
public final class NatPlanner {
    /** Source NAT found no free port: the new connection cannot be made. */
    public static final long EXHAUSTED = -1;
    /**
     * Source NAT of a protocol without ports: another connection of that protocol between the same two addresses
     * has the reply tuple already, and there is no port to tell them apart (netfilter drops it too).
     */
    public static final long TAKEN = -2;

    private static final long SOURCE_NAT = 1L << 48;

    private final NatRules rules;
    private final PortAllocator ports;

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
     * @return the plan (decoded by {@link #sourceNat}, {@link #natSource}, {@link #natPort}, {@link #replyHi},
     *         {@link #replyLo}), or {@link #EXHAUSTED} or {@link #TAKEN}
     */
    public long plan(ConnTable table, long now, int protocol, int src, int srcPort, int dst, int dstPort,
                     boolean forwarded, int inInterface, int outInterface, int outAddress) {
        boolean sourceNat = rules.masquerades(src, outInterface) || forwarded && inInterface == outInterface;
        return translation(table, now, protocol, src, srcPort, dst, dstPort, sourceNat, outAddress, 0);
    }

    /**
     * The plan once it is known whether the source is translated (MASQUERADE, or hairpin): the source kept, or
     * {@code outAddress} with a port the reply tuple is unique by. For IPv4, addresses; for IPv6 ({@code family}
     * {@link FlowKey#V6}), the connection table's handles of them (the caller decided the source NAT on the real
     * addresses, {@link NatRules#masquerades6}).
     */
    public long translation(ConnTable table, long now, int protocol, int src, int srcPort, int dst, int dstPort,
                            boolean sourceNat, int outAddress, long family) {
        if (!sourceNat) {
            return encode(false, src, srcPort);
        }
        if (!FlowKey.hasPorts(protocol)) { // the tuple as it is, or none
            return PortAllocator.free(table, now, protocol, dst, 0, outAddress, 0, family)
                    ? encode(true, outAddress, srcPort) : TAKEN;
        }
        int port = ports.choose(table, now, protocol, dst, dstPort, outAddress, srcPort, family);
        return port == PortAllocator.EXHAUSTED ? EXHAUSTED : encode(true, outAddress, port);
    }

    private static long encode(boolean sourceNat, int natSource, int natPort) {
        return (sourceNat ? SOURCE_NAT : 0) | (natSource & 0xFFFF_FFFFL) << 16 | (natPort & 0xFFFF);
    }

    /** True when the plan rewrites the source. */
    public static boolean sourceNat(long plan) {
        return (plan & SOURCE_NAT) != 0;
    }

    /** The source address after NAT. */
    public static int natSource(long plan) {
        return (int) (plan >>> 16);
    }

    /** The source port (ICMP: identifier) after NAT. */
    public static int natPort(long plan) {
        return (int) (plan & 0xFFFF);
    }

    /** The reply tuple's high word, for a connection to {@code dst} (after DNAT). */
    public static long replyHi(long plan, int dst) {
        return FlowKey.hi(dst, natSource(plan));
    }

    /** The reply tuple's low word, for a connection of {@code protocol} to {@code dstPort} (after DNAT). */
    public static long replyLo(long plan, int protocol, int dstPort) {
        return FlowKey.isIcmp(protocol) ? FlowKey.lo(protocol, 0, natPort(plan))
                : FlowKey.lo(protocol, dstPort, natPort(plan));
    }
}
