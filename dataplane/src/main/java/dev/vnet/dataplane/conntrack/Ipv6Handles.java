package dev.vnet.dataplane.conntrack;

import java.util.Arrays;

/**
 * The IPv6 addresses of the tracked connections, each held once under a 32-bit handle with a count of the tuples
 * that use it, so {@link ConnTable} keeps IPv6 tuples in the same two {@code long}s as IPv4 ones ({@link FlowKey}:
 * the handles where the addresses go, the family bit set) and tracks both families with one table, one lock and one
 * bound. A lookup of an IPv6 packet costs two probes here before the table's own; an IPv4 one costs nothing more.
 * The kernel keys its tuples with full 128-bit addresses for both families instead, making every IPv4 key four times
 * wider than it needs to be.
 *
 * <p>Open addressing with linear probing over the two halves, at most half full, backward-shift deletion; handles are
 * reused once their count drops to zero. It grows (doubling) as connections need, up to four handles per connection.
 * Reads ({@link #find}) take no lock: {@link ConnTable} calls them inside its optimistic read and retries if a writer
 * changed anything meanwhile; every change happens under its write lock.
 */
public final class Ipv6Handles {
    /** {@link #find}: no such address is held. */
    public static final int NONE = -1;

    private long[] keys = new long[2 * 16]; // slot i's address at 2i (high half) and 2i + 1 (low half)
    private int[] slotHandle = filled(16);
    private long[] hi = new long[16];
    private long[] lo = new long[16];
    private int[] refs = new int[16];
    private int[] free = new int[16];
    private int freeCount;
    private int nextHandle;
    private int size;

    private static int[] filled(int n) {
        int[] a = new int[n];
        Arrays.fill(a, NONE);
        return a;
    }

    private static int home(long h, long l, int mask) {
        long x = h * 0x9E37_79B9_7F4A_7C15L ^ l * 0xC2B2_AE3D_27D4_EB4FL;
        return (int) (x ^ (x >>> 31)) & mask;
    }

    /** The handle of address {@code h:l}, or {@link #NONE}; bounded, for a reader racing a writer. */
    int find(long h, long l) {
        int[] v = slotHandle;
        long[] k = keys;
        if (k.length < 2 * v.length) {
            return NONE; // a reader that saw half of a grow; its optimistic read fails and it retries
        }
        int mask = v.length - 1;
        for (int i = home(h, l, mask), n = 0; n <= mask; i = (i + 1) & mask, n++) {
            int handle = v[i];
            if (handle == NONE) {
                return NONE;
            }
            if (k[2 * i] == h && k[2 * i + 1] == l) {
                return handle;
            }
        }
        return NONE;
    }

    /** The handle of {@code h:l}, made if needed, its count up by one. Under the table's write lock. */
    int acquire(long h, long l) {
        int handle = find(h, l);
        if (handle == NONE) {
            if (2 * (size + 1) > slotHandle.length) {
                grow();
            }
            handle = freeCount > 0 ? free[--freeCount] : newHandle();
            hi[handle] = h;
            lo[handle] = l;
            refs[handle] = 0;
            insert(h, l, handle);
            size++;
        }
        refs[handle]++;
        return handle;
    }

    /** Counts one use of {@code handle} less, forgetting the address at zero. Under the table's write lock. */
    void release(int handle) {
        if (--refs[handle] > 0) {
            return;
        }
        int mask = slotHandle.length - 1;
        int s = home(hi[handle], lo[handle], mask);
        while (slotHandle[s] != handle) {
            s = (s + 1) & mask;
        }
        int hole = s;
        for (int i = (s + 1) & mask; slotHandle[i] != NONE; i = (i + 1) & mask) {
            int h = home(keys[2 * i], keys[2 * i + 1], mask);
            if (((i - h) & mask) >= ((i - hole) & mask)) {
                keys[2 * hole] = keys[2 * i];
                keys[2 * hole + 1] = keys[2 * i + 1];
                slotHandle[hole] = slotHandle[i];
                hole = i;
            }
        }
        slotHandle[hole] = NONE;
        free[freeCount++] = handle;
        size--;
    }

    /** The high half of the address held under {@code handle}. */
    long hi(int handle) {
        return hi[handle];
    }

    /** The low half of the address held under {@code handle}. */
    long lo(int handle) {
        return lo[handle];
    }

    /** Addresses held. */
    int size() {
        return size;
    }

    private int newHandle() {
        int handle = nextHandle++;
        if (handle == hi.length) {
            int n = hi.length * 2;
            hi = Arrays.copyOf(hi, n);
            lo = Arrays.copyOf(lo, n);
            refs = Arrays.copyOf(refs, n);
            free = Arrays.copyOf(free, n);
        }
        return handle;
    }

    private void insert(long h, long l, int handle) {
        int mask = slotHandle.length - 1;
        int i = home(h, l, mask);
        while (slotHandle[i] != NONE) {
            i = (i + 1) & mask;
        }
        keys[2 * i] = h;
        keys[2 * i + 1] = l;
        slotHandle[i] = handle;
    }

    /** Doubles the index; readers see either the old arrays or the new, complete ones (published last). */
    private void grow() {
        long[] oldKeys = keys;
        int[] oldHandles = slotHandle;
        int n = oldHandles.length * 2;
        long[] newKeys = new long[2 * n];
        int[] newHandles = filled(n);
        int mask = n - 1;
        for (int s = 0; s < oldHandles.length; s++) {
            if (oldHandles[s] != NONE) {
                int i = home(oldKeys[2 * s], oldKeys[2 * s + 1], mask);
                while (newHandles[i] != NONE) {
                    i = (i + 1) & mask;
                }
                newKeys[2 * i] = oldKeys[2 * s];
                newKeys[2 * i + 1] = oldKeys[2 * s + 1];
                newHandles[i] = oldHandles[s];
            }
        }
        keys = newKeys;
        slotHandle = newHandles;
    }
}
