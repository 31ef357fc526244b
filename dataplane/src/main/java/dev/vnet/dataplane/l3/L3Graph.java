package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Icmp6;

/**
 * The router's stage graph, declared in one place: every stage is built here with the tables it reads and the stages
 * that follow it, as {@code Bridge} builds the L2 chain (and as VPP declares a node's next nodes where it registers
 * it). No stage holds the {@link Router}; stages reach each other only through the edges given here.
 *
 * <pre>
 * L3Input(iface) ─ARP──▶ ArpInput                          answers for our addresses, learns neighbors
 *                ├IPv6─▶ Ipv6Input ─NDP, multicast to us─────────────────▶ Local6Delivery   NDP, RS, echo answered
 *                │          └unicast─▶ Conntrack6In  tracks, translates a known connection, DNAT
 *                │                       ├ours──▶ Local6Delivery                          UDP: port unreachable
 *                │                       └other─▶ Ipv6Forward ──hop limit 1 / no route / link-local source / too big─▶
 *                │                                  │           IcmpError(ICMPv6 time exceeded / no route / scope / too big)
 *                │                                  └▶ NatOut6 ─▶ Neighbor6Output ─▶ iface output
 *                │  built by the router (ICMPv6 errors) ─▶ Ipv6Output ─▶ Neighbor6Output
 *                └IPv4─▶ Ipv4Input ──bad options──▶ IcmpError(parameter problem)
 *                          └▶ ConntrackIn              tracks, translates a known connection, DNAT
 *                               ├ours──▶ LocalDelivery ──echo reply──▶ Ipv4Output
 *                               │                      └UDP/other──▶ IcmpError(port/protocol unreachable)
 *                               └other─▶ Ipv4Forward ──ttl 1 / no route──▶ IcmpError(time exceeded / net unreachable)
 *                                          ├fits──▶ NatOut ─────────────▶ NeighborOutput ─▶ iface output
 *                                          └too big─▶ MtuCheck ─DF──▶ IcmpError(fragmentation needed)
 *                                                       └no DF─▶ NatOut' ─▶ Fragmenter ──fragments──┐
 * built by the router (ICMP, replies, fragments) ─▶ LocalOutput ─▶ Ipv4Output ─fits─▶ NatOut        │
 *                                                         ▲                 └too big─▶ MtuCheck     │
 *                                                         └──────────────────────────────────────────┘
 * FragmentResume(iface) ─▶ ConntrackIn                 a held fragment goes on once its first was seen
 * </pre>
 *
 * IPv6 enters by the second edge out of {@link L3Input} (ethertype 0x86DD) and has stages of its own where the
 * protocol differs (no header checksum, no fragmentation by routers, neighbour discovery over ICMPv6) and the same
 * mechanisms where it does not: the neighbour table ({@link NeighborTable}, a second instance), the ICMP error rate
 * limit (one budget for both families), the connection table (IPv6 addresses held by handle) and the NAT planner.
 */
final class L3Graph {
    final LocalOutput localOutput = new LocalOutput();
    final ArpInput arpInput;
    final Ipv6Input ipv6Input;
    final Ipv4Input ipv4Input;
    final ConntrackIn conntrackIn;
    /** What the router says back to senders; it sends through {@link #localOutput}. */
    final IcmpOutput icmp;
    /** The ICMPv6 errors the router sends about packets it forwards; they go out through {@link Ipv6Output}. */
    final Icmp6Output icmp6;
    /** The policy's place: routed connections' first packets, and those a filtering bridge switches. */
    final ForwardFilter filter;

    L3Graph(RouterTables tables, NatState nat) {
        this.icmp = new IcmpOutput(tables, nat, localOutput);
        IcmpError timeExceeded = error("time exceeded in-transit", Icmp4.TYPE_TIME_EXCEEDED, 0,
                DropReason.TTL_EXCEEDED);
        IcmpError netUnreachable = error("net unreachable", Icmp4.TYPE_DEST_UNREACHABLE, 0, DropReason.NO_ROUTE);
        IcmpError needToFrag = error("need to frag", Icmp4.TYPE_DEST_UNREACHABLE, 4,
                DropReason.FRAGMENTATION_NEEDED);
        IcmpError portUnreachable = error("port unreachable", Icmp4.TYPE_DEST_UNREACHABLE, 3,
                DropReason.LOCAL_UNREACHABLE);
        IcmpError protocolUnreachable = error("protocol unreachable", Icmp4.TYPE_DEST_UNREACHABLE, 2,
                DropReason.LOCAL_UNREACHABLE);
        IcmpError parameterProblem = error("parameter problem", Icmp4.TYPE_PARAMETER_PROBLEM, 0,
                DropReason.IPV4_BAD_OPTIONS);

        // From the end of the graph back to its entries: each stage is built after the stages it hands frames to.
        Neighbor6Output neighbor6Output = new Neighbor6Output(tables);
        icmp6 = new Icmp6Output(tables, icmp.errorLimit(), new Ipv6Output(tables, neighbor6Output), nat.conntrack());
        filter = new ForwardFilter(nat.policy(), icmp,
                error("port unreachable", Icmp4.TYPE_DEST_UNREACHABLE, 3, DropReason.POLICY_REJECT),
                error6("unreachable port", Icmp6.TYPE_DEST_UNREACHABLE, 4, DropReason.POLICY_REJECT),
                error("admin prohibited", Icmp4.TYPE_DEST_UNREACHABLE, 13, DropReason.POLICY_REJECT),
                error6("unreachable admin", Icmp6.TYPE_DEST_UNREACHABLE, 1, DropReason.POLICY_REJECT));
        NeighborOutput neighborOutput = new NeighborOutput(tables);
        Fragmenter fragmenter = new Fragmenter(tables, localOutput);
        NatOut natOut = new NatOut(tables, nat, filter, neighborOutput, null);
        NatOut natThenFragment = new NatOut(tables, nat, filter, null, fragmenter);
        MtuCheck mtuCheck = new MtuCheck(tables, needToFrag, natThenFragment);
        Ipv4Output ipv4Output = new Ipv4Output(tables, natOut, mtuCheck);
        localOutput.then(ipv4Output);
        Ipv4Forward forward = new Ipv4Forward(tables, icmp, timeExceeded, netUnreachable, mtuCheck, natOut);
        LocalDelivery localDelivery = new LocalDelivery(tables, nat, icmp, portUnreachable, protocolUnreachable,
                localOutput, ipv4Output);
        conntrackIn = new ConntrackIn(tables, nat, localDelivery, forward);
        ipv4Input = new Ipv4Input(tables, conntrackIn, parameterProblem);
        arpInput = new ArpInput(tables);
        Ipv6Forward forward6 = new Ipv6Forward(tables,
                error6("time exceeded in-transit", Icmp6.TYPE_TIME_EXCEEDED, 0, DropReason.TTL_EXCEEDED),
                error6("unreachable route", Icmp6.TYPE_DEST_UNREACHABLE, 0, DropReason.NO_ROUTE),
                error6("unreachable beyond-scope", Icmp6.TYPE_DEST_UNREACHABLE, 2, DropReason.IPV6_BEYOND_SCOPE),
                error6("packet too big", Icmp6.TYPE_PACKET_TOO_BIG, 0, DropReason.PACKET_TOO_BIG),
                new NatOut6(tables, nat, filter, neighbor6Output));
        Local6Delivery local6 = new Local6Delivery(tables, icmp.errorLimit());
        ipv6Input = new Ipv6Input(tables, new Conntrack6In(tables, nat, local6, forward6), local6);
    }

    private IcmpError error6(String label, int type, int code, DropReason reason) {
        return new IcmpError(icmp6, "ICMP6 " + label, type, code, reason);
    }

    private IcmpError error(String label, int type, int code, DropReason reason) {
        return new IcmpError(icmp, "ICMP " + label, type, code, reason);
    }

    /**
     * Where frames received on {@code iface} enter: from its bridge ({@code onBridge}, the bridge checked their
     * Ethernet header) or from a device port of its own (an uplink).
     */
    Stage input(RouterInterface iface, boolean onBridge) {
        return new L3Input(iface, !onBridge, ipv4Input, arpInput, ipv6Input);
    }

    /** Where a fragment held for its datagram's first goes on, having come in by {@code iface}. */
    Stage resume(RouterInterface iface) {
        return new FragmentResume(iface, conntrackIn);
    }
}
