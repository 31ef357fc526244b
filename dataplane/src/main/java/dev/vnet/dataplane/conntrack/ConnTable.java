package dev.vnet.dataplane.conntrack;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.locks.StampedLock;

/**
 * The connection table: each connection holds its original tuple and its reply tuple (which differ when NAT
 * rewrote it), and both are indexed, so a packet in either direction finds its connection with one lookup
 * (the shape of netfilter's and OVS's conntrack).
 *
 * <p>Connections live in parallel arrays by id; the index is open addressing with linear probing over the packed
 * tuples ({@link FlowKey}; an IPv6 tuple holds its addresses by handle, {@link Ipv6Handles}, so both families share
 * the table), at most half full (two keys per connection, four slots or more per connection), with backward-shift
 * deletion. A connection past its deadline is invisible to lookups and removed by {@link #expire}.
 * Bound: {@code maxConnections} ({@link #DEFAULT_MAX_CONNECTIONS}); {@link #create} refuses a new connection when full
 * and {@link #fullDrops} counts it, while existing connections keep working. Nothing is allocated per packet.
 *
 * <p>Several event loops share one table. {@link #lookup} takes no lock: it reads optimistically under a
 * {@link StampedLock} and retries if a writer changed the index meanwhile (a seqlock), so the per-packet path never
 * waits. Changing the index (creating, removing, expiring) takes the write lock: {@link #lockForUpdate} around
 * {@link #inUse}, {@link #create} and {@link #remove}. A connection's own state and flags change by compare-and-set
 * ({@link #compareAndSetStateFlags}), its deadline by a single store, neither under the lock.
 */
public final class ConnTable {
    /** Default bound on connections (netfilter sizes nf_conntrack_max in the tens of thousands on small hosts). */
    public static final int DEFAULT_MAX_CONNECTIONS = 65_536;
    /** {@link #lookup} found nothing; {@link #create} found the table full. */
    public static final int NONE = -1;
    /** {@link #create} found a live connection holding one of the tuples. */
    public static final int CLASH = -2;
    /** How many connections a full table looks at for an unreplied one to give up for a new one. */
    static final int EARLY_DROP_SCAN = 32;

    private final int maxConnections;
    private final long[] origHi;
    private final long[] origLo;
    private final long[] replyHi;
    private final long[] replyLo;
    private final long[] deadline;
    private final int[] stateFlags; // state | flags << 8
    private final boolean[] live;
    private final int[] freeIds;
    private int freeCount;
    private int size;

    private final Ipv6Handles addresses6 = new Ipv6Handles();

    private final int mask;
    private final long[] keys; // slot i's tuple at 2i (hi) and 2i + 1 (lo): one cache line for both
    private final int[] value; // id << 1 | direction, or NONE

    private long created;
    private long expired;
    private long fullDrops;
    private long earlyDrops;
    private int evictCursor;

    /** A table of at most {@code maxConnections}. */
    public ConnTable(int maxConnections) {
        if (maxConnections < 1 || maxConnections > (1 << 24)) {
            throw new IllegalArgumentException("connection bound " + maxConnections + " is outside 1.." + (1 << 24));
        }
        this.maxConnections = maxConnections;
        origHi = new long[maxConnections];
        origLo = new long[maxConnections];
        replyHi = new long[maxConnections];
        replyLo = new long[maxConnections];
        deadline = new long[maxConnections];
        stateFlags = new int[maxConnections];
        live = new boolean[maxConnections];
        freeIds = new int[maxConnections];
        for (int i = 0; i < maxConnections; i++) {
            freeIds[i] = maxConnections - 1 - i;
        }
        freeCount = maxConnections;
        int capacity = Integer.highestOneBit(Math.max(4, maxConnections * 4 - 1)) << 1;
        mask = capacity - 1;
        keys = new long[capacity * 2];
        value = new int[capacity];
        Arrays.fill(value, NONE);
    }

    /** A table with the default bound. */
    public ConnTable() {
        this(DEFAULT_MAX_CONNECTIONS);
    }

    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private final StampedLock lock = new StampedLock();

    private int home(long hi, long lo) {
        long h = hi * 0x9E37_79B9_7F4A_7C15L ^ lo * 0xC2B2_AE3D_27D4_EB4FL;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    private int slot(long hi, long lo) {
        // Bounded: an optimistic reader may see the index while a writer changes it (it retries afterwards).
        for (int i = home(hi, lo), n = 0; value[i] != NONE && n <= mask; i = (i + 1) & mask, n++) {
            if (keys[2 * i] == hi && keys[2 * i + 1] == lo) {
                return i;
            }
        }
        return -1;
    }

    /** The handle of the connection at {@code slot} if it has not expired by {@code now}, else NONE. */
    private int liveHandle(int s, long now) {
        if (s < 0) {
            return NONE;
        }
        int handle = value[s];
        if (handle == NONE) {
            return NONE;
        }
        return now - (long) LONGS.getOpaque(deadline, Conn.id(handle)) >= 0 ? NONE : handle;
    }

    /**
     * The handle ({@code id << 1 | direction}) of the live connection with this tuple, or {@link #NONE}. Takes no
     * lock (see the class comment); safe from any loop.
     */
    public int lookup(long hi, long lo, long now) {
        long stamp = lock.tryOptimisticRead();
        if (stamp != 0) {
            int handle = liveHandle(slot(hi, lo), now);
            if (lock.validate(stamp)) {
                return handle;
            }
        }
        stamp = lock.readLock(); // a writer was busy: wait for it once
        try {
            return liveHandle(slot(hi, lo), now);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    /**
     * The handle of the live connection with the IPv6 tuple {@code srcHi:srcLo -> dstHi:dstLo} and low word
     * {@code lo} ({@link FlowKey#V6} set), or {@link #NONE}; takes no lock, as {@link #lookup}. An address no
     * connection has is no connection's.
     */
    public int lookup6(long srcHi, long srcLo, long dstHi, long dstLo, long lo, long now) {
        long stamp = lock.tryOptimisticRead();
        if (stamp != 0) {
            int handle = liveHandle6(srcHi, srcLo, dstHi, dstLo, lo, now);
            if (lock.validate(stamp)) {
                return handle;
            }
        }
        stamp = lock.readLock();
        try {
            return liveHandle6(srcHi, srcLo, dstHi, dstLo, lo, now);
        } finally {
            lock.unlockRead(stamp);
        }
    }

    private int liveHandle6(long srcHi, long srcLo, long dstHi, long dstLo, long lo, long now) {
        int src = addresses6.find(srcHi, srcLo);
        int dst = src == Ipv6Handles.NONE ? Ipv6Handles.NONE : addresses6.find(dstHi, dstLo);
        return dst == Ipv6Handles.NONE ? NONE : liveHandle(slot(FlowKey.hi(src, dst), lo), now);
    }

    /**
     * The handle IPv6 address {@code hi:lo} is held under, made if needed, counted as one more use: a new IPv6
     * connection acquires one per address of its two tuples (four), which {@link #create} then owns and
     * {@link #remove} gives back; the caller releases them ({@link #release6}) if {@link #create} refuses. Under
     * {@link #lockForUpdate}.
     */
    public int acquire6(long hi, long lo) {
        return addresses6.acquire(hi, lo);
    }

    /** Gives back one use of an address handle from {@link #acquire6}. Under {@link #lockForUpdate}. */
    public void release6(int handle) {
        addresses6.release(handle);
    }

    /** The high half of the IPv6 address under {@code handle} (an address in an IPv6 tuple's high word). */
    public long address6Hi(int handle) {
        return addresses6.hi(handle);
    }

    /** The low half of the IPv6 address under {@code handle}. */
    public long address6Lo(int handle) {
        return addresses6.lo(handle);
    }

    /** IPv6 addresses held for the connections. */
    public int addresses6() {
        return addresses6.size();
    }

    /** Takes the write lock for {@link #inUse}, {@link #create} and {@link #remove}; returns the stamp to unlock. */
    public long lockForUpdate() {
        return lock.writeLock();
    }

    /** Releases the write lock taken by {@link #lockForUpdate}. */
    public void unlock(long stamp) {
        lock.unlockWrite(stamp);
    }

    /**
     * True when a connection that has not expired uses this tuple in either direction (for choosing unique NAT
     * tuples); an expired one holding it is removed. Under {@link #lockForUpdate}.
     */
    public boolean inUse(long hi, long lo, long now) {
        int s = slot(hi, lo);
        if (s < 0) {
            return false;
        }
        int id = Conn.id(value[s]);
        if (now - deadline[id] >= 0) {
            remove(id);
            expired++;
            return false;
        }
        return true;
    }

    /**
     * Records a connection; returns its id, {@link #NONE} when the table is full (counted in {@link #fullDrops}), or
     * {@link #CLASH} when a live connection holds one of the tuples (another loop created it first). The caller
     * drops the packet in both cases. A full table first gives up a connection that is not assured (as the
     * kernel's early drop: a SYN flood's half-open connections make room for new ones, counted in
     * {@link #earlyDrops}); only when the connections it looks at are all assured is the new one refused. Under
     * {@link #lockForUpdate}. An IPv6 connection's tuples hold handles its caller acquired ({@link #acquire6}); the
     * connection owns them once made.
     */
    public int create(long oHi, long oLo, long rHi, long rLo, long now, long timeoutNanos, int initialState) {
        if (inUse(oHi, oLo, now) || inUse(rHi, rLo, now)) {
            return CLASH;
        }
        if (freeCount == 0 && !evictUnreplied()) {
            fullDrops++;
            return NONE;
        }
        int id = freeIds[--freeCount];
        origHi[id] = oHi;
        origLo[id] = oLo;
        replyHi[id] = rHi;
        replyLo[id] = rLo;
        deadline[id] = now + timeoutNanos;
        stateFlags[id] = initialState & 0xFF;
        live[id] = true;
        insertKey(oHi, oLo, Conn.handle(id, Conn.ORIGINAL));
        insertKey(rHi, rLo, Conn.handle(id, Conn.REPLY));
        size++;
        created++;
        return id;
    }

    private void insertKey(long hi, long lo, int handle) {
        int i = home(hi, lo);
        while (value[i] != NONE) {
            i = (i + 1) & mask;
        }
        keys[2 * i] = hi;
        keys[2 * i + 1] = lo;
        value[i] = handle;
    }

    /** Removes one connection not assured, looking at up to {@link #EARLY_DROP_SCAN} from a moving cursor. */
    private boolean evictUnreplied() {
        for (int i = 0; i < EARLY_DROP_SCAN; i++) {
            int id = evictCursor;
            evictCursor = id + 1 == maxConnections ? 0 : id + 1;
            if (live[id] && (stateFlags[id] >>> 8 & Conn.ASSURED) == 0) {
                remove(id);
                earlyDrops++;
                return true;
            }
        }
        return false;
    }

    /** Removes connection {@code id} and both its keys. Under {@link #lockForUpdate}. */
    public void remove(int id) {
        if (!live[id]) {
            return;
        }
        deleteKey(origHi[id], origLo[id]);
        deleteKey(replyHi[id], replyLo[id]);
        if (FlowKey.isV6(origLo[id])) {
            addresses6.release(FlowKey.src(origHi[id]));
            addresses6.release(FlowKey.dst(origHi[id]));
            addresses6.release(FlowKey.src(replyHi[id]));
            addresses6.release(FlowKey.dst(replyHi[id]));
        }
        live[id] = false;
        freeIds[freeCount++] = id;
        size--;
    }

    private void deleteKey(long hi, long lo) {
        int s = slot(hi, lo);
        if (s < 0) {
            return;
        }
        int hole = s;
        for (int i = (s + 1) & mask; value[i] != NONE; i = (i + 1) & mask) {
            int h = home(keys[2 * i], keys[2 * i + 1]);
            if (((i - h) & mask) >= ((i - hole) & mask)) {
                keys[2 * hole] = keys[2 * i];
                keys[2 * hole + 1] = keys[2 * i + 1];
                value[hole] = value[i];
                hole = i;
            }
        }
        value[hole] = NONE;
    }

    /** Removes every connection (taking the write lock), as {@code conntrack -F}; returns how many. */
    public int flush() {
        long stamp = lock.writeLock();
        try {
            int removed = 0;
            for (int id = 0; id < maxConnections; id++) {
                if (live[id]) {
                    remove(id);
                    removed++;
                }
            }
            return removed;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** Removes connections past their deadline (taking the write lock); returns how many. */
    public int expire(long now) {
        long stamp = lock.writeLock();
        try {
            int removed = 0;
            for (int id = 0; id < maxConnections; id++) {
                if (live[id] && now - deadline[id] >= 0) {
                    remove(id);
                    removed++;
                }
            }
            expired += removed;
            return removed;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** Sets connection {@code id}'s deadline to {@code now + timeoutNanos} (one store, from any loop). */
    public void refresh(int id, long now, long timeoutNanos) {
        LONGS.setOpaque(deadline, id, now + timeoutNanos);
    }

    /** True while connection {@code id} is in the table (read without the lock: a hint for fragments). */
    public boolean isLive(int id) {
        return id >= 0 && id < maxConnections && live[id];
    }

    /** Protocol-specific state of connection {@code id} (a {@link TcpState} ordinal for TCP). */
    public int state(int id) {
        return stateAndFlags(id) & 0xFF;
    }

    /** Sets the state of connection {@code id}, keeping its flags. */
    public void setState(int id, int newState) {
        int sf;
        do {
            sf = stateAndFlags(id);
        } while (!compareAndSetStateFlags(id, sf, (sf & ~0xFF) | (newState & 0xFF)));
    }

    /** Flag bits of connection {@code id} (see the NAT and tracking stages for their meaning). */
    public int flags(int id) {
        return stateAndFlags(id) >>> 8;
    }

    /** Sets flag bits on connection {@code id}. */
    public void addFlags(int id, int bits) {
        int sf;
        do {
            sf = stateAndFlags(id);
        } while ((sf >>> 8 & bits) != bits && !compareAndSetStateFlags(id, sf, sf | (bits & 0xFF) << 8));
    }

    /** State and flags of connection {@code id} in one word: {@code state | flags << 8}. */
    public int stateAndFlags(int id) {
        return (int) INTS.getVolatile(stateFlags, id);
    }

    /**
     * Sets state and flags of connection {@code id} to {@code next} if they are still {@code expected} (both as
     * {@link #stateAndFlags}); false when another loop changed them first (read again and retry).
     */
    public boolean compareAndSetStateFlags(int id, int expected, int next) {
        return INTS.compareAndSet(stateFlags, id, expected, next);
    }

    /** Original tuple, high word. */
    public long origHi(int id) {
        return origHi[id];
    }

    /** Original tuple, low word. */
    public long origLo(int id) {
        return origLo[id];
    }

    /** Reply tuple, high word. */
    public long replyHi(int id) {
        return replyHi[id];
    }

    /** Reply tuple, low word. */
    public long replyLo(int id) {
        return replyLo[id];
    }

    /** Nanoseconds until connection {@code id} expires. */
    public long remaining(int id, long now) {
        return deadline[id] - now;
    }

    /** Visits every live connection that has not expired. */
    public void forEach(long now, java.util.function.IntConsumer visitor) {
        for (int id = 0; id < maxConnections; id++) {
            if (live[id] && now - deadline[id] < 0) {
                visitor.accept(id);
            }
        }
    }

    /** Connections held. */
    public int size() {
        return size;
    }

    /** The bound. */
    public int maxConnections() {
        return maxConnections;
    }

    /** Connections created. */
    public long created() {
        return created;
    }

    /** Connections removed by timeout. */
    public long expiredCount() {
        return expired;
    }

    /** Connections not assured given up to make room for new ones in a full table. */
    public long earlyDrops() {
        return earlyDrops;
    }

    /** New connections refused because the table was full. */
    public long fullDrops() {
        return fullDrops;
    }
}
