package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;

import java.util.Arrays;

/**
 * IPv6 routes with longest-prefix match (RFC 8200 and RFC 4291's prefixes; the kernel's fib6 answers the same).
 *
 * <p>One open-addressing hash table per prefix length present, keyed by the masked prefix's two halves, probed
 * longest length first: a lookup costs one probe per distinct length in the table (a namespace's /64s, a /48 or two,
 * a default route: three or four), whatever the number of routes. The kernel walks a radix tree instead; with the
 * handful of lengths a gateway has, the probes are fewer and touch less memory, and nothing is allocated on lookup.
 *
 * <p>A route says which {@link RouterInterface} index it leaves by and its gateway ({@code ::} for a connected route,
 * where the destination itself is the next hop). Bound: as many routes as the IPv4 table's bound.
 *
 * <p>Every loop looks up; changes happen at the barrier, with the loops parked.
 */
public final class Route6Table {
    /** Result of {@link #lookup} when no route matches. */
    public static final int NO_ROUTE = -1;

    private final int maxRoutes;
    /** By prefix length 0..128: that length's table, or null when no route has it. */
    private final LengthTable[] byLength = new LengthTable[129];
    /** Prefix lengths with at least one route, longest first. */
    private int[] lengths = new int[0];
    private int size;

    // Route data by route id; ids are reused after removal.
    private long[] netHi = new long[8];
    private long[] netLo = new long[8];
    private byte[] length = new byte[8];
    private int[] iface = new int[8];
    private long[] gwHi = new long[8];
    private long[] gwLo = new long[8];
    private boolean[] used = new boolean[8];

    /** A table of at most {@code maxRoutes} routes. */
    public Route6Table(int maxRoutes) {
        if (maxRoutes < 1) {
            throw new IllegalArgumentException("route bound " + maxRoutes + " is below 1");
        }
        this.maxRoutes = maxRoutes;
    }

    /**
     * Adds or replaces the route to {@code hi:lo/len} (host bits are cleared) out of {@code ifaceIndex} via gateway
     * {@code gatewayHi:gatewayLo} ({@code 0:0} for a connected route).
     */
    public void put(long hi, long lo, int len, int ifaceIndex, long gatewayHi, long gatewayLo) {
        long h = hi & Ipv6Cidr.hiMask(len);
        long l = lo & Ipv6Cidr.loMask(len);
        int id = find(h, l, len);
        if (id == NO_ROUTE) {
            if (size >= maxRoutes) {
                throw new IllegalStateException("the IPv6 route table is full (" + maxRoutes + " routes)");
            }
            id = allocate();
            netHi[id] = h;
            netLo[id] = l;
            length[id] = (byte) len;
            if (byLength[len] == null) {
                byLength[len] = new LengthTable();
                rebuildLengths();
            }
            byLength[len].put(h, l, id);
            size++;
        }
        iface[id] = ifaceIndex;
        gwHi[id] = gatewayHi;
        gwLo[id] = gatewayLo;
    }

    /** The id of the route to exactly {@code hi:lo/len}, or {@link #NO_ROUTE}. */
    public int find(long hi, long lo, int len) {
        LengthTable t = byLength[len];
        return t == null ? NO_ROUTE : t.get(hi & Ipv6Cidr.hiMask(len), lo & Ipv6Cidr.loMask(len));
    }

    /** Removes the route to exactly {@code hi:lo/len}; false when there is none. */
    public boolean remove(long hi, long lo, int len) {
        int id = find(hi, lo, len);
        if (id == NO_ROUTE) {
            return false;
        }
        byLength[len].remove(netHi[id], netLo[id]);
        if (byLength[len].size == 0) {
            byLength[len] = null;
            rebuildLengths();
        }
        used[id] = false;
        size--;
        return true;
    }

    /** Removes every route leaving by {@code ifaceIndex}; returns how many. */
    public int removeInterface(int ifaceIndex) {
        int n = 0;
        for (int id = 0; id < used.length; id++) {
            if (used[id] && iface[id] == ifaceIndex && remove(netHi[id], netLo[id], length[id] & 0xFF)) {
                n++;
            }
        }
        return n;
    }

    /** The id of the longest route covering {@code hi:lo}, or {@link #NO_ROUTE}. */
    public int lookup(long hi, long lo) {
        for (int len : lengths) {
            int id = byLength[len].get(hi & Ipv6Cidr.hiMask(len), lo & Ipv6Cidr.loMask(len));
            if (id != NO_ROUTE) {
                return id;
            }
        }
        return NO_ROUTE;
    }

    /** The interface route {@code id} leaves by. */
    public int interfaceOf(int id) {
        return iface[id];
    }

    /** The high half of the next hop toward {@code dstHi:dstLo} by route {@code id}: its gateway, or the address. */
    public long nextHopHi(int id, long dstHi, long dstLo) {
        return isConnected(id) ? dstHi : gwHi[id];
    }

    /** The low half of the next hop toward {@code dstHi:dstLo} by route {@code id}. */
    public long nextHopLo(int id, long dstHi, long dstLo) {
        return isConnected(id) ? dstLo : gwLo[id];
    }

    /** The prefix of route {@code id}. Allocates: control plane and traces only. */
    public Ipv6Cidr prefixOf(int id) {
        return new Ipv6Cidr(new Ipv6Address(netHi[id], netLo[id]), length[id] & 0xFF);
    }

    /** The gateway of route {@code id}, or null for a connected route. Allocates: control plane only. */
    public Ipv6Address gatewayOf(int id) {
        return isConnected(id) ? null : new Ipv6Address(gwHi[id], gwLo[id]);
    }

    /** True when route {@code id} has no gateway: its destinations are on the link. */
    public boolean isConnected(int id) {
        return gwHi[id] == 0 && gwLo[id] == 0;
    }

    /** True when some route leaves by an interface other than {@code ifaceIndex}. */
    public boolean reachesBeyond(int ifaceIndex) {
        for (int id = 0; id < used.length; id++) {
            if (used[id] && iface[id] != ifaceIndex) {
                return true;
            }
        }
        return false;
    }

    /** Routes held. */
    public int size() {
        return size;
    }

    /** Visits every route, longest prefixes first. */
    public void forEach(RouteVisitor visitor) {
        for (int len : lengths) {
            for (int id = 0; id < used.length; id++) {
                if (used[id] && (length[id] & 0xFF) == len) {
                    visitor.visit(netHi[id], netLo[id], len, iface[id], gwHi[id], gwLo[id]);
                }
            }
        }
    }

    /** Receives routes from {@link #forEach}. */
    @FunctionalInterface
    public interface RouteVisitor {
        /** One route; the gateway is {@code 0:0} for a connected route. */
        void visit(long hi, long lo, int length, int iface, long gatewayHi, long gatewayLo);
    }

    private int allocate() {
        for (int id = 0; id < used.length; id++) {
            if (!used[id]) {
                used[id] = true;
                return id;
            }
        }
        int id = used.length;
        int n = id * 2;
        netHi = Arrays.copyOf(netHi, n);
        netLo = Arrays.copyOf(netLo, n);
        length = Arrays.copyOf(length, n);
        iface = Arrays.copyOf(iface, n);
        gwHi = Arrays.copyOf(gwHi, n);
        gwLo = Arrays.copyOf(gwLo, n);
        used = Arrays.copyOf(used, n);
        used[id] = true;
        return id;
    }

    private void rebuildLengths() {
        int[] present = new int[129];
        int n = 0;
        for (int len = 128; len >= 0; len--) {
            if (byLength[len] != null) {
                present[n++] = len;
            }
        }
        lengths = Arrays.copyOf(present, n);
    }

    /** The routes of one prefix length: open addressing with linear probing, at most half full. */
    private static final class LengthTable {
        private long[] keys = new long[2 * 8]; // slot i's prefix at 2i (high half) and 2i + 1 (low half)
        private int[] ids = filled(8);
        private int size;

        private static int[] filled(int n) {
            int[] a = new int[n];
            Arrays.fill(a, NO_ROUTE);
            return a;
        }

        private int home(long hi, long lo) {
            long h = hi * 0x9E37_79B9_7F4A_7C15L ^ lo * 0xC2B2_AE3D_27D4_EB4FL;
            return (int) (h ^ (h >>> 31)) & (ids.length - 1);
        }

        int get(long hi, long lo) {
            int mask = ids.length - 1;
            for (int i = home(hi, lo); ids[i] != NO_ROUTE; i = (i + 1) & mask) {
                if (keys[2 * i] == hi && keys[2 * i + 1] == lo) {
                    return ids[i];
                }
            }
            return NO_ROUTE;
        }

        void put(long hi, long lo, int id) {
            if (2 * (size + 1) > ids.length) {
                grow();
            }
            insert(hi, lo, id);
            size++;
        }

        private void insert(long hi, long lo, int id) {
            int mask = ids.length - 1;
            int i = home(hi, lo);
            while (ids[i] != NO_ROUTE) {
                i = (i + 1) & mask;
            }
            keys[2 * i] = hi;
            keys[2 * i + 1] = lo;
            ids[i] = id;
        }

        private void grow() {
            long[] oldKeys = keys;
            int[] oldIds = ids;
            keys = new long[oldKeys.length * 2];
            ids = filled(oldIds.length * 2);
            for (int i = 0; i < oldIds.length; i++) {
                if (oldIds[i] != NO_ROUTE) {
                    insert(oldKeys[2 * i], oldKeys[2 * i + 1], oldIds[i]);
                }
            }
        }

        /** Removes the key and re-inserts the run after it (tables are small and change only at the barrier). */
        void remove(long hi, long lo) {
            int mask = ids.length - 1;
            int i = home(hi, lo);
            while (ids[i] != NO_ROUTE && !(keys[2 * i] == hi && keys[2 * i + 1] == lo)) {
                i = (i + 1) & mask;
            }
            if (ids[i] == NO_ROUTE) {
                return;
            }
            ids[i] = NO_ROUTE;
            size--;
            for (int j = (i + 1) & mask; ids[j] != NO_ROUTE; j = (j + 1) & mask) {
                int id = ids[j];
                ids[j] = NO_ROUTE;
                insert(keys[2 * j], keys[2 * j + 1], id);
            }
        }
    }
}
