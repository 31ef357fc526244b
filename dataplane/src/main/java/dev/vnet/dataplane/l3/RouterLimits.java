package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.ConntrackTimeouts;

/**
 * Bounds of the router's tables and the connection timeouts: what a topology file's {@code limits} section sets.
 *
 * @param maxConnections bound on tracked connections (as {@code nf_conntrack_max})
 * @param maxNeighbors   bound on neighbor entries (as {@code gc_thresh3})
 * @param maxRoutes      bound on routes, connected ones included
 * @param timeouts       idle timeouts of connections
 */
public record RouterLimits(int maxConnections, int maxNeighbors, int maxRoutes, ConntrackTimeouts timeouts) {
    /** The largest connection table accepted. */
    public static final int MAX_CONNECTIONS = 1 << 24;
    /** The largest neighbor table accepted. */
    public static final int MAX_NEIGHBORS = 1 << 22;
    /** The largest route table accepted. */
    public static final int MAX_ROUTES = RouteTable.MAX_ROUTES;

    /** Checks the values; the message names the bad one. */
    public RouterLimits {
        check("connections", maxConnections, MAX_CONNECTIONS);
        check("neighbors", maxNeighbors, MAX_NEIGHBORS);
        check("routes", maxRoutes, MAX_ROUTES);
        if (timeouts == null) {
            throw new IllegalArgumentException("timeouts: missing");
        }
    }

    private static void check(String what, int value, int max) {
        if (value < 1 || value > max) {
            throw new IllegalArgumentException(what + " " + value + " is outside 1.." + max);
        }
    }

    /** 65536 connections, 1024 neighbors, 1M routes, the kernel's timeouts. */
    public static RouterLimits defaults() {
        return new RouterLimits(ConnTable.DEFAULT_MAX_CONNECTIONS, NeighborTable.DEFAULT_MAX_ENTRIES,
                RouteTable.DEFAULT_MAX_ROUTES, ConntrackTimeouts.defaults());
    }

    /** The same limits with another connection bound. */
    public RouterLimits withMaxConnections(int n) {
        return new RouterLimits(n, maxNeighbors, maxRoutes, timeouts);
    }
}
