package dev.vnet.dataplane.vxlan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The tunnels by (VNI, remote VTEP address), for the receive path: an open-addressed table of long keys, replaced as a
 * whole when a tunnel is added or removed (at the loops' barrier), so lookups take no lock and allocate nothing.
 */
final class VtepIndex {
    static final VtepIndex EMPTY = new VtepIndex(new ArrayList<>(), new int[0]);

    private final List<VtepPort> all;
    private final int[] anySource;
    private final long[] keys;
    private final VtepPort[] values;
    private final int[] vnis;
    private final int mask;

    private VtepIndex(List<VtepPort> all, int[] anySource) {
        this.all = List.copyOf(all);
        this.anySource = anySource;
        int capacity = Integer.highestOneBit(Math.max(4, all.size() * 4 - 1)) * 2;
        this.keys = new long[capacity];
        this.values = new VtepPort[capacity];
        this.mask = capacity - 1;
        for (VtepPort t : all) {
            int i = slot(key(t.vni(), t.remote()));
            while (values[i] != null) {
                i = (i + 1) & mask;
            }
            keys[i] = key(t.vni(), t.remote());
            values[i] = t;
        }
        this.vnis = all.stream().mapToInt(VtepPort::vni).distinct().sorted().toArray();
    }

    private static long key(int vni, int remote) {
        return ((long) vni << 32) | (remote & 0xFFFF_FFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 40) & mask;
    }

    /** The tunnel of {@code vni} to {@code remote}, or null. */
    VtepPort lookup(int vni, int remote) {
        long key = key(vni, remote);
        for (int i = slot(key); ; i = (i + 1) & mask) {
            VtepPort t = values[i];
            if (t == null || keys[i] == key) {
                return t;
            }
        }
    }

    /** True when some tunnel carries {@code vni} (telling an unknown VTEP from an unknown VNI). */
    boolean knowsVni(int vni) {
        return Arrays.binarySearch(vnis, vni) >= 0;
    }

    /** True when datagrams of {@code vni} from any sender are taken, the sender becoming a VTEP of the VNI. */
    boolean anySource(int vni) {
        return anySource.length > 0 && Arrays.binarySearch(anySource, vni) >= 0;
    }

    VtepIndex with(VtepPort t) {
        List<VtepPort> next = new ArrayList<>(all);
        next.add(t);
        return new VtepIndex(next, anySource);
    }

    VtepIndex without(VtepPort t) {
        List<VtepPort> next = new ArrayList<>(all);
        next.remove(t);
        return new VtepIndex(next, anySource);
    }

    /** This index, {@code vni} taking datagrams from any sender. */
    VtepIndex withAnySource(int vni) {
        int[] next = Arrays.copyOf(anySource, anySource.length + 1);
        next[anySource.length] = vni;
        Arrays.sort(next);
        return new VtepIndex(all, next);
    }

    List<VtepPort> all() {
        return all;
    }
}
