package dev.vnet.dataplane.conntrack;

import java.util.Arrays;

/**
 * The connection table: each connection holds its original tuple and its reply tuple (which differ when NAT
 * rewrote it), and both are indexed, so a packet in either direction finds its connection with one lookup
 * (the shape of netfilter's and OVS's conntrack).
 *
 * <p>Connections live in parallel arrays by id; the index is open addressing with linear probing over the packed
 * tuples ({@link FlowKey}), at most a quarter full (two keys per connection), with backward-shift deletion. A
 * connection past its deadline is invisible to lookups and removed by {@link #expire}. Bound: {@code maxConnections}
 * ({@link #DEFAULT_MAX_CONNECTIONS}); {@link #create} refuses a new connection when full and {@link #fullDrops} counts
 * it, while existing connections keep working. Nothing is allocated per packet. Used from the owning loop only.
 */
public final class ConnTable {
    /** Default bound on connections (netfilter sizes nf_conntrack_max in the tens of thousands on small hosts). */
    public static final int DEFAULT_MAX_CONNECTIONS = 65_536;
    /** Direction of a handle: the packet travels as the connection's originator sent it. */
    public static final int ORIGINAL = 0;
    /** Direction of a handle: the packet is a reply. */
    public static final int REPLY = 1;
    /** {@link #lookup} found nothing. */
    public static final int NONE = -1;

    private final int maxConnections;
    private final long[] origHi;
    private final long[] origLo;
    private final long[] replyHi;
    private final long[] replyLo;
    private final long[] deadline;
    private final byte[] state;
    private final byte[] flags;
    private final boolean[] live;
    private final int[] freeIds;
    private int freeCount;
    private int size;

    private final int mask;
    private final long[] keyHi;
    private final long[] keyLo;
    private final int[] value; // id << 1 | direction, or NONE

    private long created;
    private long expired;
    private long fullDrops;

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
        state = new byte[maxConnections];
        flags = new byte[maxConnections];
        live = new boolean[maxConnections];
        freeIds = new int[maxConnections];
        for (int i = 0; i < maxConnections; i++) {
            freeIds[i] = maxConnections - 1 - i;
        }
        freeCount = maxConnections;
        int capacity = Integer.highestOneBit(Math.max(4, maxConnections * 4 - 1)) << 1;
        mask = capacity - 1;
        keyHi = new long[capacity];
        keyLo = new long[capacity];
        value = new int[capacity];
        Arrays.fill(value, NONE);
    }

    /** A table with the default bound. */
    public ConnTable() {
        this(DEFAULT_MAX_CONNECTIONS);
    }

    private int home(long hi, long lo) {
        long h = hi * 0x9E37_79B9_7F4A_7C15L ^ lo * 0xC2B2_AE3D_27D4_EB4FL;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    private int slot(long hi, long lo) {
        for (int i = home(hi, lo); value[i] != NONE; i = (i + 1) & mask) {
            if (keyHi[i] == hi && keyLo[i] == lo) {
                return i;
            }
        }
        return -1;
    }

    /** The handle ({@code id << 1 | direction}) of the live connection with this tuple, or {@link #NONE}. */
    public int lookup(long hi, long lo, long now) {
        int s = slot(hi, lo);
        if (s < 0) {
            return NONE;
        }
        int handle = value[s];
        int id = handle >>> 1;
        if (now - deadline[id] >= 0) {
            remove(id);
            expired++;
            return NONE;
        }
        return handle;
    }

    /** True when a live connection uses this tuple in either direction (for choosing unique NAT tuples). */
    public boolean inUse(long hi, long lo, long now) {
        return lookup(hi, lo, now) != NONE;
    }

    /**
     * Records a connection; returns its id, or {@link #NONE} when the table is full or a tuple is taken (the caller
     * drops the packet; a full table is counted in {@link #fullDrops}).
     */
    public int create(long oHi, long oLo, long rHi, long rLo, long now, long timeoutNanos, int initialState) {
        if (freeCount == 0) {
            fullDrops++;
            return NONE;
        }
        if (slot(oHi, oLo) >= 0 || slot(rHi, rLo) >= 0) {
            return NONE;
        }
        int id = freeIds[--freeCount];
        origHi[id] = oHi;
        origLo[id] = oLo;
        replyHi[id] = rHi;
        replyLo[id] = rLo;
        deadline[id] = now + timeoutNanos;
        state[id] = (byte) initialState;
        flags[id] = 0;
        live[id] = true;
        insertKey(oHi, oLo, id << 1 | ORIGINAL);
        insertKey(rHi, rLo, id << 1 | REPLY);
        size++;
        created++;
        return id;
    }

    private void insertKey(long hi, long lo, int handle) {
        int i = home(hi, lo);
        while (value[i] != NONE) {
            i = (i + 1) & mask;
        }
        keyHi[i] = hi;
        keyLo[i] = lo;
        value[i] = handle;
    }

    /** Removes connection {@code id} and both its keys. */
    public void remove(int id) {
        if (!live[id]) {
            return;
        }
        deleteKey(origHi[id], origLo[id]);
        deleteKey(replyHi[id], replyLo[id]);
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
            int h = home(keyHi[i], keyLo[i]);
            if (((i - h) & mask) >= ((i - hole) & mask)) {
                keyHi[hole] = keyHi[i];
                keyLo[hole] = keyLo[i];
                value[hole] = value[i];
                hole = i;
            }
        }
        value[hole] = NONE;
    }

    /** Removes connections past their deadline; returns how many. */
    public int expire(long now) {
        int removed = 0;
        for (int id = 0; id < maxConnections; id++) {
            if (live[id] && now - deadline[id] >= 0) {
                remove(id);
                removed++;
            }
        }
        expired += removed;
        return removed;
    }

    /** Sets connection {@code id}'s deadline to {@code now + timeoutNanos}. */
    public void refresh(int id, long now, long timeoutNanos) {
        deadline[id] = now + timeoutNanos;
    }

    /** Protocol-specific state of connection {@code id} (a {@link TcpState} ordinal for TCP). */
    public int state(int id) {
        return state[id];
    }

    /** Sets the state of connection {@code id}. */
    public void setState(int id, int newState) {
        state[id] = (byte) newState;
    }

    /** Flag bits of connection {@code id} (see the NAT and tracking stages for their meaning). */
    public int flags(int id) {
        return flags[id];
    }

    /** Sets flag bits on connection {@code id}. */
    public void addFlags(int id, int bits) {
        flags[id] |= (byte) bits;
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

    /** New connections refused because the table was full. */
    public long fullDrops() {
        return fullDrops;
    }
}
