package dev.vnet.dataplane.l3;

import io.netty.buffer.ByteBuf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.StampedLock;

/**
 * A neighbour table of the router: the ARP cache (RFC 826, with the reachability states of RFC 1122 section 2.3.2.1
 * and RFC 4861 section 7.3 that Linux also uses for IPv4), or the IPv6 neighbour cache (RFC 4861): next-hop address to
 * MAC, with a bounded queue of frames waiting for resolution. The router has one of each, as the kernel has arp_tbl
 * and nd_tbl; keys are 128 bits, an IPv4 address held in its IPv4-mapped form ({@link #v4}).
 *
 * <p>States and transitions ({@link State}):
 * <ul>
 *   <li>INCOMPLETE: created by the first frame to an unknown next hop; a request (ARP, or a neighbour
 *       solicitation) is sent at once and every {@link #RETRANSMIT_NANOS} up to {@link #MAX_PROBES} times; a reply
 *       makes it REACHABLE and releases the queue; no reply makes it fail: queued frames go to
 *       {@link Actions#unresolved} (the router drops them and sends ICMP host unreachable, ICMPv6 address
 *       unreachable) and the entry is removed.</li>
 *   <li>REACHABLE: confirmed by a reply (ARP, neighbour advertisement) or a request from that host; after
 *       {@link #REACHABLE_NANOS} without a confirmation it becomes STALE.</li>
 *   <li>STALE: still used for forwarding; when used, it is re-probed (MAX_PROBES requests); an answer makes it
 *       REACHABLE, silence removes it. A STALE entry unused for {@link #GC_STALE_NANOS} is removed.</li>
 * </ul>
 *
 * <p>Bounds: at most {@code maxEntries} neighbors ({@link #DEFAULT_MAX_ENTRIES}, as the kernel's gc_thresh3); at most
 * {@link #QUEUE_PER_NEIGHBOR} frames queued per neighbor. Open addressing on the address, parallel arrays: no
 * allocation on lookup.
 *
 * <p>Several event loops share one table. {@link #macFor}, once per routed packet, reads optimistically under a
 * {@link StampedLock} (retrying under the lock if a writer changed the table meanwhile) and only notes the time of
 * use with a plain store; every change (a new or confirmed neighbor, a queued frame, a state change, the timer)
 * takes the write lock. Entries are removed only by {@link #tick}, {@link #removeInterface} and {@link #clear}, which
 * the dataplane runs at its barrier. Callbacks ({@link Release}, {@link Actions}) run under the lock and must not
 * use the table (the router's only inject frames, to run after the current one).
 */
public final class NeighborTable {
    /** Default bound on entries. */
    public static final int DEFAULT_MAX_ENTRIES = 1024;
    /** Frames queued per unresolved neighbor; more are dropped. */
    public static final int QUEUE_PER_NEIGHBOR = 16;
    /** Time between requests for one neighbor. */
    public static final long RETRANSMIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Unanswered requests before a neighbor is given up. */
    public static final int MAX_PROBES = 3;
    /** How long a confirmation keeps an entry REACHABLE. */
    public static final long REACHABLE_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** How long an unused STALE entry is kept. */
    public static final long GC_STALE_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** MAC returned by {@link #macFor} when the neighbor is not usable yet. */
    public static final long UNRESOLVED = -1;

    /** Outcome of {@link #enqueue}. */
    public enum Enqueued {
        /** A new INCOMPLETE entry holds the frame: send the first request now. */
        NEW,
        /** The frame joined the queue of a resolution under way. */
        QUEUED,
        /** The neighbor's queue is full: the caller drops the frame. */
        QUEUE_FULL,
        /** The table is full: the caller drops the frame. */
        TABLE_FULL
    }

    /** Reachability state of an entry; see the class comment for the transitions. */
    public enum State {
        /** Resolution under way. */
        INCOMPLETE,
        /** Recently confirmed. */
        REACHABLE,
        /** Not confirmed lately; still used, re-probed when used. */
        STALE
    }

    /** Takes a frame that waited for its neighbor, with its offload state, once the neighbor is known. */
    @FunctionalInterface
    public interface Release {
        /** {@code frame} (now owned by the callee) can go on. */
        void accept(ByteBuf frame, long offload);
    }

    /** What the table asks of the router during {@link #tick}. */
    public interface Actions {
        /** Send a request (ARP, or a neighbour solicitation) for the address {@code hi:lo} out of {@code iface}. */
        void sendRequest(int iface, long hi, long lo);

        /** Resolution of {@code hi:lo} failed: {@code frame} (owned by the callee) can never be sent. */
        void unresolved(int iface, long hi, long lo, ByteBuf frame);
    }

    private static final State[] STATES = State.values();
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final StampedLock lock = new StampedLock();

    private final int maxEntries;
    private final int mask;
    private final boolean[] used;
    private final long[] keyHi; // the address's high 64 bits (0 for IPv4)
    private final long[] keyLo; // its low 64 bits (::ffff:a.b.c.d for IPv4)
    private final long[] macs;
    private final byte[] states;
    private final int[] ifaces;
    private final long[] confirmed;
    private final long[] lastUsed;
    private final long[] nextProbe;
    private final byte[] probes;
    private final boolean[] probing;
    private final ByteBuf[][] queues;
    private final long[][] queueOffloads;
    private final byte[] queueLength;
    private int size;

    private long failed;
    private long queueDrops;
    private long tableFull;

    /** A table of at most {@code maxEntries} neighbors. */
    public NeighborTable(int maxEntries) {
        if (maxEntries < 1 || maxEntries > (1 << 22)) {
            throw new IllegalArgumentException("neighbor bound " + maxEntries + " is outside 1.." + (1 << 22));
        }
        this.maxEntries = maxEntries;
        int capacity = Math.max(4, Integer.highestOneBit(maxEntries * 2 - 1) << 1);
        this.mask = capacity - 1;
        used = new boolean[capacity];
        keyHi = new long[capacity];
        keyLo = new long[capacity];
        macs = new long[capacity];
        states = new byte[capacity];
        ifaces = new int[capacity];
        confirmed = new long[capacity];
        lastUsed = new long[capacity];
        nextProbe = new long[capacity];
        probes = new byte[capacity];
        probing = new boolean[capacity];
        queues = new ByteBuf[capacity][];
        queueOffloads = new long[capacity][];
        queueLength = new byte[capacity];
    }

    /** The key of IPv4 address {@code ip}: its IPv4-mapped IPv6 form's low half (the high half is 0). */
    public static long v4(int ip) {
        return 0xFFFF_0000_0000L | (ip & 0xFFFF_FFFFL);
    }

    private int home(long hi, long lo) {
        long h = hi * 0xC2B2_AE3D_27D4_EB4FL ^ lo * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 32) & mask;
    }

    private int find(long hi, long lo) {
        // Bounded: an optimistic reader may see the table while a writer changes it (it retries afterwards).
        for (int i = home(hi, lo), n = 0; used[i] && n <= mask; i = (i + 1) & mask, n++) {
            if (keyLo[i] == lo && keyHi[i] == hi) {
                return i;
            }
        }
        return -1;
    }

    /** As {@link #macFor(long, long, long)} for IPv4 address {@code ip}. */
    public long macFor(int ip, long now) {
        return macFor(0, v4(ip), now);
    }

    /**
     * The MAC to send to the address {@code hi:lo}, or {@link #UNRESOLVED}. A STALE entry is returned and scheduled
     * for a probe.
     */
    public long macFor(long hi, long lo, long now) {
        long stamp = lock.tryOptimisticRead();
        if (stamp != 0) {
            int i = find(hi, lo);
            int state = i < 0 ? -1 : states[i];
            long mac = i < 0 ? UNRESOLVED : macs[i];
            long since = i < 0 ? 0 : now - confirmed[i];
            boolean probe = i >= 0 && probing[i];
            if (lock.validate(stamp)) {
                if (state < 0 || state == State.INCOMPLETE.ordinal()) {
                    return UNRESOLVED;
                }
                boolean changes = state == State.REACHABLE.ordinal() ? since >= REACHABLE_NANOS : !probe;
                if (!changes) {
                    LONGS.setOpaque(lastUsed, i, now); // slot i keeps ip: entries move only at the barrier
                    return mac;
                }
            }
        }
        stamp = lock.writeLock();
        try {
            return macForLocked(hi, lo, now);
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    private long macForLocked(long hi, long lo, long now) {
        int i = find(hi, lo);
        if (i < 0) {
            return UNRESOLVED;
        }
        State s = STATES[states[i]];
        if (s == State.INCOMPLETE) {
            return UNRESOLVED;
        }
        lastUsed[i] = now;
        if (s == State.REACHABLE && now - confirmed[i] >= REACHABLE_NANOS) {
            states[i] = (byte) State.STALE.ordinal();
            s = State.STALE;
        }
        if (s == State.STALE && !probing[i]) {
            probing[i] = true; // re-probe at the next tick
            probes[i] = 0;
            nextProbe[i] = now;
        }
        return macs[i];
    }

    /** Queues {@code frame} (taking ownership unless the answer is QUEUE_FULL or TABLE_FULL) until {@code ip} resolves. */
    public Enqueued enqueue(int ip, int iface, ByteBuf frame, long now) {
        return enqueue(ip, iface, frame, 0, now);
    }

    /** As {@link #enqueue(int, int, ByteBuf, long)}, for a frame with offload state {@code offload}. */
    public Enqueued enqueue(int ip, int iface, ByteBuf frame, long offload, long now) {
        return enqueue(0, v4(ip), iface, frame, offload, now);
    }

    /** As {@link #enqueue(int, int, ByteBuf, long, long)}, for the address {@code hi:lo}. */
    public Enqueued enqueue(long hi, long lo, int iface, ByteBuf frame, long offload, long now) {
        long stamp = lock.writeLock();
        try {
            return enqueueLocked(hi, lo, iface, frame, offload, now);
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    private Enqueued enqueueLocked(long hi, long lo, int iface, ByteBuf frame, long offload, long now) {
        int i = find(hi, lo);
        if (i < 0) {
            if (size >= maxEntries) {
                tableFull++;
                return Enqueued.TABLE_FULL;
            }
            i = insert(hi, lo);
            states[i] = (byte) State.INCOMPLETE.ordinal();
            ifaces[i] = iface;
            macs[i] = UNRESOLVED;
            confirmed[i] = 0;
            lastUsed[i] = now;
            probes[i] = 1; // the caller sends the first request now
            probing[i] = true;
            nextProbe[i] = now + RETRANSMIT_NANOS;
            if (queues[i] == null) {
                queues[i] = new ByteBuf[QUEUE_PER_NEIGHBOR];
                queueOffloads[i] = new long[QUEUE_PER_NEIGHBOR];
            }
            queues[i][0] = frame;
            queueOffloads[i][0] = offload;
            queueLength[i] = 1;
            return Enqueued.NEW;
        }
        if (queueLength[i] >= QUEUE_PER_NEIGHBOR) {
            queueDrops++;
            return Enqueued.QUEUE_FULL;
        }
        if (queues[i] == null) {
            queues[i] = new ByteBuf[QUEUE_PER_NEIGHBOR];
            queueOffloads[i] = new long[QUEUE_PER_NEIGHBOR];
        }
        queueOffloads[i][queueLength[i]] = offload;
        queues[i][queueLength[i]++] = frame;
        return Enqueued.QUEUED;
    }

    /**
     * Records that {@code ip} is at {@code mac} (an ARP reply, or a request from it). Creates the entry only when
     * {@code create} (RFC 826: a request addressed to us); otherwise updates an existing one. Frames queued for it are
     * handed to {@code release} in order, then owned by the callee. Returns false if nothing was recorded.
     */
    public boolean confirm(int ip, long mac, int iface, long now, boolean create, Release release) {
        return confirm(0, v4(ip), mac, iface, now, create, release);
    }

    /** As {@link #confirm(int, long, int, long, boolean, Release)}, for the address {@code hi:lo}. */
    public boolean confirm(long hi, long lo, long mac, int iface, long now, boolean create, Release release) {
        long stamp = lock.writeLock();
        try {
            return confirmLocked(hi, lo, mac, iface, now, create, release);
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    private boolean confirmLocked(long hi, long lo, long mac, int iface, long now, boolean create,
                                  Release release) {
        int i = find(hi, lo);
        if (i < 0) {
            if (!create) {
                return false;
            }
            if (size >= maxEntries) {
                tableFull++;
                return false;
            }
            i = insert(hi, lo);
            queueLength[i] = 0;
        }
        macs[i] = mac;
        ifaces[i] = iface;
        states[i] = (byte) State.REACHABLE.ordinal();
        confirmed[i] = now;
        lastUsed[i] = now;
        probes[i] = 0;
        probing[i] = false;
        int n = queueLength[i];
        queueLength[i] = 0;
        for (int q = 0; q < n; q++) {
            ByteBuf f = queues[i][q];
            queues[i][q] = null;
            release.accept(f, queueOffloads[i][q]);
        }
        return true;
    }

    /** Sends due requests (ARP, or neighbour solicitations), fails unanswered neighbors, ages and collects entries. Run about once a second. */
    public void tick(long now, Actions actions) {
        long stamp = lock.writeLock();
        try {
            tickLocked(now, actions);
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    private void tickLocked(long now, Actions actions) {
        for (int i = 0; i <= mask; ) {
            if (!used[i]) {
                i++;
                continue;
            }
            State s = STATES[states[i]];
            if (s == State.REACHABLE && now - confirmed[i] >= REACHABLE_NANOS) {
                states[i] = (byte) State.STALE.ordinal();
                s = State.STALE;
            }
            if (probing[i] && now >= nextProbe[i]) {
                if (probes[i] >= MAX_PROBES) {
                    fail(i, actions);
                    continue; // an entry shifted into slot i
                }
                probes[i]++;
                nextProbe[i] = now + RETRANSMIT_NANOS;
                actions.sendRequest(ifaces[i], keyHi[i], keyLo[i]);
            } else if (s == State.STALE && !probing[i] && now - lastUsed[i] >= GC_STALE_NANOS) {
                deleteSlot(i);
                continue;
            }
            i++;
        }
    }

    private void fail(int i, Actions actions) {
        failed++;
        int n = queueLength[i];
        long hi = keyHi[i];
        long lo = keyLo[i];
        int iface = ifaces[i];
        ByteBuf[] q = queues[i];
        queueLength[i] = 0;
        ByteBuf[] pending = n == 0 ? null : Arrays.copyOf(q, n);
        if (q != null) {
            Arrays.fill(q, null);
        }
        deleteSlot(i);
        if (pending != null) {
            for (ByteBuf f : pending) {
                actions.unresolved(iface, hi, lo, f);
            }
        }
    }

    private int insert(long hi, long lo) {
        int i = home(hi, lo);
        while (used[i]) {
            i = (i + 1) & mask;
        }
        used[i] = true;
        keyHi[i] = hi;
        keyLo[i] = lo;
        size++;
        return i;
    }

    private void deleteSlot(int slot) {
        int hole = slot;
        ByteBuf[] holeQueue = queues[slot];
        for (int i = (slot + 1) & mask; used[i]; i = (i + 1) & mask) {
            int h = home(keyHi[i], keyLo[i]);
            if (((i - h) & mask) >= ((i - hole) & mask)) {
                keyHi[hole] = keyHi[i];
                keyLo[hole] = keyLo[i];
                macs[hole] = macs[i];
                states[hole] = states[i];
                ifaces[hole] = ifaces[i];
                confirmed[hole] = confirmed[i];
                lastUsed[hole] = lastUsed[i];
                nextProbe[hole] = nextProbe[i];
                probes[hole] = probes[i];
                probing[hole] = probing[i];
                queues[hole] = queues[i];
                queueLength[hole] = queueLength[i];
                queues[i] = holeQueue; // keep the (empty) array for reuse
                long[] holeOffloads = queueOffloads[hole];
                queueOffloads[hole] = queueOffloads[i];
                queueOffloads[i] = holeOffloads;
                hole = i;
            }
        }
        used[hole] = false;
        probing[hole] = false;
        queueLength[hole] = 0;
        size--;
    }

    /** Removes every entry learned on interface {@code iface}, releasing queued frames. */
    public void removeInterface(int iface) {
        long stamp = lock.writeLock();
        try {
            removeInterfaceLocked(iface);
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    private void removeInterfaceLocked(int iface) {
        for (int i = 0; i <= mask; ) {
            if (used[i] && ifaces[i] == iface) {
                releaseQueue(i);
                deleteSlot(i);
            } else {
                i++;
            }
        }
    }

    /** Releases every queued frame and forgets every entry (the dataplane is closing). */
    public void clear() {
        long stamp = lock.writeLock();
        try {
            for (int i = 0; i <= mask; i++) {
                if (used[i]) {
                    releaseQueue(i);
                    used[i] = false;
                }
            }
            size = 0;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    private void releaseQueue(int i) {
        for (int q = 0; q < queueLength[i]; q++) {
            queues[i][q].release();
            queues[i][q] = null;
        }
        queueLength[i] = 0;
    }

    /** Visits every entry. */
    public void forEach(EntryVisitor visitor) {
        for (int i = 0; i <= mask; i++) {
            if (used[i]) {
                visitor.visit(keyHi[i], keyLo[i], macs[i], ifaces[i], STATES[states[i]], queueLength[i]);
            }
        }
    }

    /** Receives entries from {@link #forEach}. */
    @FunctionalInterface
    public interface EntryVisitor {
        /**
         * One entry, for the address {@code hi:lo} (IPv4 as {@link #v4}); {@code mac} is {@link #UNRESOLVED} while
         * INCOMPLETE.
         */
        void visit(long hi, long lo, long mac, int iface, State state, int queued);
    }

    /** The state of {@code ip}'s entry, or null when there is none. */
    public State stateOf(int ip) {
        return stateOf(0, v4(ip));
    }

    /** The state of the entry for the address {@code hi:lo}, or null when there is none. */
    public State stateOf(long hi, long lo) {
        int i = find(hi, lo);
        return i < 0 ? null : STATES[states[i]];
    }

    /** Entries held. */
    public int size() {
        return size;
    }

    /** Neighbors given up after unanswered requests. */
    public long failed() {
        return failed;
    }

    /** Frames dropped because a neighbor's queue was full. */
    public long queueDrops() {
        return queueDrops;
    }

    /** New neighbors refused because the table was full. */
    public long tableFull() {
        return tableFull;
    }
}
