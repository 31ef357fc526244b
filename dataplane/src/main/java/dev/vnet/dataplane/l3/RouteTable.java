package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.wire.Ipv4Addr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * IPv4 routes with longest-prefix match (RFC 1812 section 5.2.4.3).
 *
 * <p>Routes are kept in one open-addressing hash table per prefix length, keyed by the masked prefix. Two indexes
 * over the top 16 bits of the address make a lookup cheap whatever the table holds:
 * <ul>
 *   <li>{@code longer[hi16]}: a bitmap of which lengths /17../32 have at least one route under that /16, so a lookup
 *       probes only those (usually none or one), longest first;</li>
 *   <li>{@code shortBest[hi16]}: the longest route of length /0../16 covering that /16, expanded ahead of time (a
 *       /8 fills 256 slots, a default route all 65536), so routes up to /16 cost one array read.</li>
 * </ul>
 * A lookup is one bitmap read, a probe per longer length present under its /16, and one array read; 512 KiB of
 * index. Updates recompute the affected slots (control plane only). Nothing is allocated on lookup.
 *
 * <p>A route says which {@link RouterInterface} index it leaves by and its gateway (0 for a connected route, where
 * the destination itself is the next hop). Bound: {@link #DEFAULT_MAX_ROUTES}.
 *
 * <p>{@link #lookup(int, int)} remembers its answer in a hint slot the caller names (the packet's connection), so
 * the packets of an established connection find their route with one read: a hint holds the destination it answers
 * for and the table's version, so it can only give the route a full lookup would give now. Any change to the table
 * makes every hint stale.
 *
 * <p>Every loop looks up; changes happen at the barrier, with the loops parked (hints are written by the loops, one
 * word each, so a reader never sees half of one).
 */
public final class RouteTable {
    /** Default bound on routes. */
    public static final int DEFAULT_MAX_ROUTES = 1 << 20;
    /** Result of {@link #lookup} when no route matches. */
    public static final int NO_ROUTE = -1;

    /** The largest bound accepted: route ids (plus one) must fit the low 25 bits of a hint. */
    public static final int MAX_ROUTES = 1 << 24;

    private static final int SLOTS = 1 << 16;
    private static final int MAX_HINT_SLOTS = 1 << 18;
    private static final long ROUTE_BITS = (1L << 25) - 1;
    /** A hint's version takes the 7 bits between the route and the destination. */
    private static final int VERSIONS = 1 << 7;
    private static final java.lang.invoke.VarHandle HINTS =
            java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);
    private static final int NONE = -1;

    private final int maxRoutes;
    private final LengthTable[] byLength = new LengthTable[33];
    /** Bit (length - 17) set when a route of that length (17..32) exists under the /16. */
    private final int[] longer = new int[SLOTS];
    /** Route id of the longest route of length 0..16 covering the /16, or NONE. */
    private final int[] shortBest = new int[SLOTS];
    /** How many routes of each length 17..32 are under each /16: (hi16 << 5 | length) to count. */
    private final java.util.Map<Integer, Integer> longerCounts = new java.util.HashMap<>();
    /** Prefix lengths with at least one route, longest first. */
    private int[] lengths = new int[0];
    private int size;

    // Route data by route id; ids are reused after removal.
    private int[] routeNetwork = new int[16];
    private byte[] routeLength = new byte[16];
    private int[] routeInterface = new int[16];
    private int[] routeGateway = new int[16];
    private int[] freeIds = new int[16];
    private int freeCount;
    private int nextId;

    /** Hint slots: {@code dst << 32 | version << 25 | (route id + 1)}, 0 when empty. */
    private final long[] hints;
    private final int hintMask;
    /** Changes so far, modulo {@link #VERSIONS}; the hints are cleared when it wraps. */
    private int version;

    /** A table of at most {@code maxRoutes} routes, with {@code hintSlots} hint slots (rounded up, at most 2^18). */
    public RouteTable(int maxRoutes, int hintSlots) {
        if (maxRoutes < 1 || maxRoutes > MAX_ROUTES) {
            throw new IllegalArgumentException("route bound must be 1.." + MAX_ROUTES + ", got " + maxRoutes);
        }
        this.maxRoutes = maxRoutes;
        Arrays.fill(shortBest, NONE);
        int slots = Integer.highestOneBit(Math.max(1, Math.min(hintSlots, MAX_HINT_SLOTS) * 2 - 1));
        hints = new long[slots];
        hintMask = slots - 1;
    }

    /** A table of at most {@code maxRoutes} routes and 1024 hint slots. */
    public RouteTable(int maxRoutes) {
        this(maxRoutes, 1024);
    }

    /** A table with the default bound. */
    public RouteTable() {
        this(DEFAULT_MAX_ROUTES);
    }

    /**
     * Makes every hint stale: called by each change. The version is short, so when it comes round again the hints
     * are cleared, and a hint from 128 changes ago cannot pass for a current one.
     */
    private void changed() {
        version = (version + 1) & (VERSIONS - 1);
        if (version == 0) {
            Arrays.fill(hints, 0L);
        }
    }

    /**
     * Adds or replaces the route to {@code network/length}.
     *
     * @param iface   index of the interface the route leaves by
     * @param gateway next hop, or 0 for a connected route
     */
    public void put(int network, int length, int iface, int gateway) {
        int key = network & Ipv4Addr.mask(length);
        if (key != network) {
            throw new IllegalArgumentException("route " + Ipv4Addr.toString(network) + "/" + length
                    + " has host bits set (did you mean " + Ipv4Addr.toString(key) + "/" + length + "?)");
        }
        LengthTable t = byLength[length];
        if (t == null) {
            t = new LengthTable();
            byLength[length] = t;
            rebuildLengths();
        }
        int existing = t.get(key);
        int id;
        if (existing >= 0) {
            id = existing;
        } else {
            if (size >= maxRoutes) {
                throw new IllegalStateException("route table is full (" + maxRoutes + " routes)");
            }
            id = allocateId();
            t.put(key, id);
            size++;
        }
        routeNetwork[id] = key;
        routeLength[id] = (byte) length;
        routeInterface[id] = iface;
        routeGateway[id] = gateway;
        if (existing < 0) {
            indexAdded(key, length);
        }
        changed();
    }

    private void indexAdded(int network, int length) {
        if (length > 16) {
            int hi = network >>> 16;
            int countKey = (hi << 5) | length;
            if (longerCounts.merge(countKey, 1, Integer::sum) == 1) {
                longer[hi] |= 1 << (length - 17);
            }
        } else {
            refreshShort(network, length);
        }
    }

    private void indexRemoved(int network, int length) {
        if (length > 16) {
            int hi = network >>> 16;
            int countKey = (hi << 5) | length;
            int left = longerCounts.merge(countKey, -1, Integer::sum);
            if (left == 0) {
                longerCounts.remove(countKey);
                longer[hi] &= ~(1 << (length - 17));
            }
        } else {
            refreshShort(network, length);
        }
    }

    /** Recomputes shortBest for the /16 slots a route of {@code length} <= 16 at {@code network} covers. */
    private void refreshShort(int network, int length) {
        int first = network >>> 16;
        int count = 1 << (16 - length);
        for (int hi = first; hi < first + count; hi++) {
            int best = NONE;
            int addr = hi << 16;
            for (int l = 16; l >= 0 && best == NONE; l--) {
                LengthTable t = byLength[l];
                if (t != null) {
                    best = t.get(addr & Ipv4Addr.mask(l));
                }
            }
            shortBest[hi] = best;
        }
    }

    /** The route to exactly {@code network/length} (not the longest prefix containing it), or {@link #NO_ROUTE}. */
    public int find(int network, int length) {
        LengthTable t = byLength[length];
        return t == null ? NO_ROUTE : t.get(network & Ipv4Addr.mask(length));
    }

    /** Removes the route to {@code network/length}; true if there was one. */
    public boolean remove(int network, int length) {
        LengthTable t = byLength[length];
        if (t == null) {
            return false;
        }
        int key = network & Ipv4Addr.mask(length);
        int id = t.remove(key);
        if (id < 0) {
            return false;
        }
        size--;
        if (freeCount == freeIds.length) {
            freeIds = Arrays.copyOf(freeIds, freeIds.length * 2);
        }
        freeIds[freeCount++] = id;
        if (t.size == 0) {
            byLength[length] = null;
            rebuildLengths();
        }
        indexRemoved(key, length);
        changed();
        return true;
    }

    /** Removes every route that leaves by interface {@code iface}; returns how many. */
    public int removeInterface(int iface) {
        List<int[]> doomed = new ArrayList<>();
        forEach((network, length, i, gateway) -> {
            if (i == iface) {
                doomed.add(new int[] {network, length});
            }
        });
        for (int[] r : doomed) {
            remove(r[0], r[1]);
        }
        return doomed.size();
    }

    /** The id of the longest route matching {@code addr}, or {@link #NO_ROUTE}. */
    public int lookup(int addr) {
        int hi = addr >>> 16;
        int bits = longer[hi];
        while (bits != 0) {
            int length = 48 - Integer.numberOfLeadingZeros(bits); // highest set bit: the longest length first
            int id = byLength[length].get(addr & (-1 << (32 - length)));
            if (id >= 0) {
                return id;
            }
            bits &= ~(1 << (length - 17));
        }
        int best = shortBest[hi];
        return best == NONE ? NO_ROUTE : best;
    }

    /**
     * As {@link #lookup(int)}, through hint slot {@code hintSlot} (any int; a connection's handle gives each
     * connection direction its own): when the slot holds the answer for {@code addr} from the current version of the
     * table, that is one read; otherwise the full lookup, whose route the slot then remembers.
     */
    public int lookup(int addr, int hintSlot) {
        int slot = hintSlot & hintMask;
        long h = (long) HINTS.getOpaque(hints, slot);
        int id = (int) (h & ROUTE_BITS) - 1;
        if (h >>> 25 == ((addr & 0xFFFF_FFFFL) << 7 | version) && id >= 0) {
            return id;
        }
        id = lookup(addr);
        if (id >= 0) {
            HINTS.setOpaque(hints, slot, (addr & 0xFFFF_FFFFL) << 32 | (long) version << 25 | (id + 1));
        }
        return id;
    }

    /** The interface index of route {@code id}. */
    public int interfaceOf(int id) {
        return routeInterface[id];
    }

    /** The gateway of route {@code id} (0: connected). */
    public int gatewayOf(int id) {
        return routeGateway[id];
    }

    /** The next hop for {@code dst} by route {@code id}: its gateway, or {@code dst} itself on a connected route. */
    public int nextHop(int id, int dst) {
        int gw = routeGateway[id];
        return gw == 0 ? dst : gw;
    }

    /** The prefix length of route {@code id}. */
    public int lengthOf(int id) {
        return routeLength[id];
    }

    /** The network of route {@code id}. */
    public int networkOf(int id) {
        return routeNetwork[id];
    }

    /** Number of routes. */
    public int size() {
        return size;
    }

    /** Visits every route, longest prefixes first. */
    public void forEach(RouteVisitor visitor) {
        for (int length : lengths) {
            LengthTable t = byLength[length];
            for (int i = 0; i < t.keys.length; i++) {
                if (t.used[i]) {
                    int id = t.values[i];
                    visitor.visit(routeNetwork[id], length, routeInterface[id], routeGateway[id]);
                }
            }
        }
    }

    /** Receives routes from {@link #forEach}. */
    @FunctionalInterface
    public interface RouteVisitor {
        /** One route. */
        void visit(int network, int length, int iface, int gateway);
    }

    private int allocateId() {
        if (freeCount > 0) {
            return freeIds[--freeCount];
        }
        int id = nextId++;
        if (id == routeNetwork.length) {
            int n = routeNetwork.length * 2;
            routeNetwork = Arrays.copyOf(routeNetwork, n);
            routeLength = Arrays.copyOf(routeLength, n);
            routeInterface = Arrays.copyOf(routeInterface, n);
            routeGateway = Arrays.copyOf(routeGateway, n);
        }
        return id;
    }

    private void rebuildLengths() {
        int count = 0;
        for (LengthTable t : byLength) {
            if (t != null) {
                count++;
            }
        }
        int[] ls = new int[count];
        int i = 0;
        for (int length = 32; length >= 0; length--) {
            if (byLength[length] != null) {
                ls[i++] = length;
            }
        }
        lengths = ls;
    }

    /** Masked prefix to route id, open addressing with linear probing and backward-shift deletion. */
    private static final class LengthTable {
        int[] keys = new int[8];
        int[] values = new int[8];
        boolean[] used = new boolean[8];
        int size;

        private int home(int key, int mask) {
            return (int) (((key & 0xFFFF_FFFFL) * 0x9E37_79B9_7F4A_7C15L) >>> 40) & mask;
        }

        int get(int key) {
            int mask = keys.length - 1;
            for (int i = home(key, mask); used[i]; i = (i + 1) & mask) {
                if (keys[i] == key) {
                    return values[i];
                }
            }
            return -1;
        }

        void put(int key, int value) {
            if ((size + 1) * 2 > keys.length) {
                grow();
            }
            int mask = keys.length - 1;
            int i = home(key, mask);
            while (used[i]) {
                if (keys[i] == key) {
                    values[i] = value;
                    return;
                }
                i = (i + 1) & mask;
            }
            used[i] = true;
            keys[i] = key;
            values[i] = value;
            size++;
        }

        int remove(int key) {
            int mask = keys.length - 1;
            int i = home(key, mask);
            while (used[i] && keys[i] != key) {
                i = (i + 1) & mask;
            }
            if (!used[i]) {
                return -1;
            }
            int value = values[i];
            int hole = i;
            for (int j = (i + 1) & mask; used[j]; j = (j + 1) & mask) {
                int h = home(keys[j], mask);
                if (((j - h) & mask) >= ((j - hole) & mask)) {
                    keys[hole] = keys[j];
                    values[hole] = values[j];
                    hole = j;
                }
            }
            used[hole] = false;
            size--;
            return value;
        }

        private void grow() {
            int[] oldKeys = keys;
            int[] oldValues = values;
            boolean[] oldUsed = used;
            keys = new int[oldKeys.length * 2];
            values = new int[oldKeys.length * 2];
            used = new boolean[oldKeys.length * 2];
            size = 0;
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldUsed[i]) {
                    put(oldKeys[i], oldValues[i]);
                }
            }
        }
    }
}
