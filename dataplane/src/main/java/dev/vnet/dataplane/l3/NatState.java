package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.ConntrackTimeouts;
import dev.vnet.dataplane.nat.NatPlanner;
import dev.vnet.dataplane.nat.NatRules;
import dev.vnet.dataplane.nat.PortAllocator;

import java.util.random.RandomGenerator;

/**
 * The router's connection state: the connection table and its timeouts, the NAT rules and the planner that picks
 * translations, which connection the fragments in flight belong to, and the datagrams to the router being put back
 * together. The stages of connection tracking and NAT share it; each table says how it stays consistent across loops.
 */
final class NatState {
    private final ConnTable conntrack;
    private final ConntrackTimeouts timeouts;
    private final NatRules rules = new NatRules();
    private final NatPlanner planner;
    private final FragmentTable fragments = new FragmentTable();
    private final LocalReassembly localReassembly = new LocalReassembly();
    private final dev.vnet.dataplane.filter.Policy policy = new dev.vnet.dataplane.filter.Policy();

    NatState(RouterLimits limits, RandomGenerator random) {
        this.conntrack = new ConnTable(limits.maxConnections());
        this.timeouts = limits.timeouts();
        this.planner = new NatPlanner(rules, new PortAllocator(random));
    }

    ConnTable conntrack() {
        return conntrack;
    }

    /** The filter new connections pass before they are made. */
    dev.vnet.dataplane.filter.Policy policy() {
        return policy;
    }

    ConntrackTimeouts timeouts() {
        return timeouts;
    }

    NatRules rules() {
        return rules;
    }

    NatPlanner planner() {
        return planner;
    }

    /** Which connection the fragments of a datagram in flight belong to, and the fragments held for their first. */
    FragmentTable fragments() {
        return fragments;
    }

    /** Fragmented datagrams to the router itself, being put back together. */
    LocalReassembly localReassembly() {
        return localReassembly;
    }

    /** Releases held fragments and partial datagrams (the dataplane is closing). */
    void releaseHeld() {
        fragments.clear();
        localReassembly.clear();
    }
}
