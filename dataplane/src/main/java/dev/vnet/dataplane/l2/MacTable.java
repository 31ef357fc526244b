package dev.vnet.dataplane.l2;

import dev.vnet.dataplane.port.Port;

import java.util.concurrent.TimeUnit;

/**
 * A bridge's forwarding database: MAC address to port, learned on ingress, aged out, bounded.
 *
 * <p>Open addressing with linear probing over primitive arrays (no object per entry), at most half full, so a lookup
 * touches one or two slots whatever the size. Deletion shifts the following entries back (no tombstones), so the table
 * never degrades with churn. Entries older than the aging time are invisible to {@link #lookup} at once and are
 * removed by {@link #expire}, which the dataplane runs every second.
 *
 * <p>Bound: at most {@code maxEntries} entries; a new address seen while full is not learned (frames to it are
 * flooded, as for any unknown address) and {@link #limitHits()} counts it. Static entries never age and learning
 * never moves them.
 *
 * <p>Several event loops use one table. Lookups take no lock; refreshing a known address on the same port is one
 * store. Adding an address or moving it to another port takes the table's lock, and publishes the entry's key last
 * (a release store, read with acquire), so a lookup sees a key only with its port. Entries are removed (aging,
 * {@link #remove}, {@link #removePort}) only while the loops are stopped at the dataplane's barrier, so the backward
 * shift of a deletion never runs under a lookup.
 */
public final class MacTable {
    /** Default bound on entries. */
    public static final int DEFAULT_MAX_ENTRIES = 8192;
    /** Default aging time: 300 s, as the kernel bridge ({@code ageing_time}). */
    public static final long DEFAULT_AGING_NANOS = TimeUnit.SECONDS.toNanos(300);
    /** The largest bound that can be configured. */
    public static final int MAX_MAX_ENTRIES = 1 << 24;

    private static final long EMPTY = -1L; // no MAC has bits above 48 set
    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);

    private final int maxEntries;
    private final long agingNanos;
    private final int mask;
    private final int shift;
    private final long[] keys;
    private final Port[] ports;
    private final long[] lastSeen;
    private final boolean[] statics;
    private int size;

    private long learned;
    private long moves;
    private long limitHits;
    private long aged;

    /** A table holding at most {@code maxEntries}, forgetting dynamic entries not seen for {@code agingNanos}. */
    public MacTable(int maxEntries, long agingNanos) {
        if (maxEntries < 1 || maxEntries > MAX_MAX_ENTRIES) {
            throw new IllegalArgumentException("FDB bound " + maxEntries + " is outside 1.." + MAX_MAX_ENTRIES);
        }
        if (agingNanos <= 0) {
            throw new IllegalArgumentException("MAC aging time must be positive, got " + agingNanos + " ns");
        }
        this.maxEntries = maxEntries;
        this.agingNanos = agingNanos;
        int capacity = Integer.highestOneBit(maxEntries * 2 - 1) << 1;
        capacity = Math.max(capacity, 4);
        this.mask = capacity - 1;
        this.shift = 64 - Integer.numberOfTrailingZeros(capacity);
        this.keys = new long[capacity];
        this.ports = new Port[capacity];
        this.lastSeen = new long[capacity];
        this.statics = new boolean[capacity];
        java.util.Arrays.fill(keys, EMPTY);
    }

    private int home(long mac) {
        return (int) ((mac * 0x9E37_79B9_7F4A_7C15L) >>> shift);
    }

    private int find(long mac) {
        for (int i = home(mac); ; i = (i + 1) & mask) {
            long k = (long) LONGS.getAcquire(keys, i);
            if (k == mac) {
                return i;
            }
            if (k == EMPTY) {
                return -1;
            }
        }
    }

    private boolean expired(int slot, long now) {
        return !statics[slot] && now - (long) LONGS.getOpaque(lastSeen, slot) >= agingNanos;
    }

    /** The port {@code mac} was last seen on, or null when unknown or aged out. */
    public Port lookup(long mac, long now) {
        int slot = find(mac);
        if (slot < 0 || expired(slot, now)) {
            return null;
        }
        return ports[slot];
    }

    /**
     * Records that {@code mac} sent a frame from {@code port} at {@code now}; returns the port the table holds for
     * {@code mac} afterwards ({@code port}, or a static entry's), or null when the table was full (what a decision
     * trace shows, without a second look-up).
     */
    public Port learn(long mac, Port port, long now) {
        int slot = find(mac);
        if (slot >= 0 && !statics[slot] && ports[slot] == port) {
            // The steady state: no lock, and no store when this batch already refreshed it (as the kernel bridge's
            // fdb->updated), so loops forwarding for the same station do not pass its cache line back and forth.
            if ((long) LONGS.getOpaque(lastSeen, slot) != now) {
                LONGS.setOpaque(lastSeen, slot, now);
            }
            return port;
        }
        if (slot >= 0 && statics[slot]) {
            return ports[slot];
        }
        return learnLocked(mac, port, now);
    }

    private synchronized Port learnLocked(long mac, Port port, long now) {
        int slot = find(mac);
        if (slot >= 0) {
            if (statics[slot]) {
                return ports[slot];
            }
            if (ports[slot] != port) {
                if (!expired(slot, now)) {
                    moves++;
                } else {
                    learned++;
                }
                ports[slot] = port;
            }
            LONGS.setOpaque(lastSeen, slot, now);
            return port;
        }
        if (size >= maxEntries) {
            limitHits++;
            return null;
        }
        insert(mac, port, now, false);
        learned++;
        return port;
    }

    /** Adds or replaces a static entry: never aged, never moved by learning. */
    public synchronized void putStatic(long mac, Port port) {
        int slot = find(mac);
        if (slot >= 0) {
            ports[slot] = port;
            statics[slot] = true;
            return;
        }
        if (size >= maxEntries) {
            throw new IllegalStateException("FDB is full (" + maxEntries + " entries); static entry "
                    + dev.vnet.dataplane.wire.MacAddr.toString(mac) + " not added");
        }
        insert(mac, port, 0, true);
    }

    private void insert(long mac, Port port, long now, boolean isStatic) {
        int i = home(mac);
        while (keys[i] != EMPTY) {
            i = (i + 1) & mask;
        }
        ports[i] = port;
        lastSeen[i] = now;
        statics[i] = isStatic;
        LONGS.setRelease(keys, i, mac); // last: a lookup that sees the key sees the rest
        size++;
    }

    /** Removes the entry for {@code mac}, static or not; true if there was one. */
    public synchronized boolean remove(long mac) {
        int slot = find(mac);
        if (slot < 0) {
            return false;
        }
        deleteSlot(slot);
        return true;
    }

    /** Removes every entry pointing at {@code port} (the port is going away); returns how many. */
    public synchronized int removePort(Port port) {
        int removed = 0;
        for (int i = 0; i <= mask; ) {
            if (keys[i] != EMPTY && ports[i] == port) {
                deleteSlot(i); // an entry may have shifted into slot i: look at it again
                removed++;
            } else {
                i++;
            }
        }
        return removed;
    }

    /** Removes dynamic entries not seen for the aging time; returns how many. */
    public synchronized int expire(long now) {
        int removed = 0;
        for (int i = 0; i <= mask; ) {
            if (keys[i] != EMPTY && expired(i, now)) {
                deleteSlot(i);
                removed++;
            } else {
                i++;
            }
        }
        aged += removed;
        return removed;
    }

    // Backward-shift deletion for linear probing: pull later entries of the same probe run into the hole.
    private void deleteSlot(int slot) {
        int hole = slot;
        for (int i = (slot + 1) & mask; keys[i] != EMPTY; i = (i + 1) & mask) {
            int home = home(keys[i]);
            if (((i - home) & mask) >= ((i - hole) & mask)) {
                keys[hole] = keys[i];
                ports[hole] = ports[i];
                lastSeen[hole] = lastSeen[i];
                statics[hole] = statics[i];
                hole = i;
            }
        }
        keys[hole] = EMPTY;
        ports[hole] = null;
        statics[hole] = false;
        size--;
    }

    /** Visits every entry that has not aged out. */
    public void forEach(long now, EntryVisitor visitor) {
        for (int i = 0; i <= mask; i++) {
            if (keys[i] != EMPTY && !expired(i, now)) {
                long age = statics[i] ? 0 : now - lastSeen[i];
                visitor.visit(keys[i], ports[i], statics[i], age);
            }
        }
    }

    /** Receives table entries from {@link #forEach}. */
    @FunctionalInterface
    public interface EntryVisitor {
        /** One entry; {@code ageNanos} is the time since it was last seen (0 for static entries). */
        void visit(long mac, Port port, boolean isStatic, long ageNanos);
    }

    /** Entries held, including aged ones not yet expired. */
    public int size() {
        return size;
    }

    /** The bound on entries. */
    public int maxEntries() {
        return maxEntries;
    }

    /** The aging time in nanoseconds. */
    public long agingNanos() {
        return agingNanos;
    }

    /** Addresses learned (new entries and refreshed aged ones). */
    public long learned() {
        return learned;
    }

    /** Station moves: a known address seen on a different port. */
    public long moves() {
        return moves;
    }

    /** New addresses not learned because the table was at its bound. */
    public long limitHits() {
        return limitHits;
    }

    /** Entries removed by aging. */
    public long aged() {
        return aged;
    }
}
