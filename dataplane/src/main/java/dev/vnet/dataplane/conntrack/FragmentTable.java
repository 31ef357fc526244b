package dev.vnet.dataplane.conntrack;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Virtual reassembly for NAT (as VPP's NAT does it): the first fragment of a datagram, which carries the ports,
 * finds or creates its connection as any packet does and records it here under the datagram's identity (source,
 * destination, protocol, IP identification, RFC 791); the later fragments, which carry no ports, find the connection
 * here and get the same address translation. Nothing is reassembled or held: fragments go on as they come, and one
 * that arrives before its first fragment, or after the entry went, finds nothing (the NAT stage then drops it).
 *
 * <p>Bounded and allocation-free: a direct-mapped table of {@link #SLOTS} entries, a new datagram taking the slot
 * of whatever hashed there before; entries live {@link #LIFETIME_NANOS}. Synchronized: fragments are rare, and any
 * loop may see them.
 */
public final class FragmentTable {
    /** Entries. */
    public static final int SLOTS = 4096;
    /** How long after its first fragment a datagram's later fragments are recognized (the kernel's ipfrag_time is 30 s). */
    public static final long LIFETIME_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final long[] keyHi = new long[SLOTS];
    private final long[] keyLo = new long[SLOTS];
    private final int[] handles = new int[SLOTS];
    private final long[] expires = new long[SLOTS];

    /** An empty table. */
    public FragmentTable() {
        Arrays.fill(handles, ConnTable.NONE);
    }

    /** A datagram's key, low word: protocol and IP identification (the high word is {@link FlowKey#hi}). */
    private static long lo(int protocol, int ipId) {
        return (long) protocol << 16 | ipId;
    }

    private static int slot(long hi, long lo) {
        long h = hi * 0x9E37_79B9_7F4A_7C15L ^ lo * 0xC2B2_AE3D_27D4_EB4FL;
        return (int) (h ^ (h >>> 31)) & (SLOTS - 1);
    }

    /**
     * Records that the datagram {@code src -> dst, protocol, ipId} belongs to connection handle {@code handle} (id
     * and direction).
     */
    public synchronized void record(int src, int dst, int protocol, int ipId, int handle, long now) {
        long hi = FlowKey.hi(src, dst);
        long lo = lo(protocol, ipId);
        int s = slot(hi, lo);
        keyHi[s] = hi;
        keyLo[s] = lo;
        handles[s] = handle;
        expires[s] = now + LIFETIME_NANOS;
    }

    /** The connection handle recorded for the datagram {@code src -> dst, protocol, ipId}, or {@link ConnTable#NONE}. */
    public synchronized int find(int src, int dst, int protocol, int ipId, long now) {
        long hi = FlowKey.hi(src, dst);
        long lo = lo(protocol, ipId);
        int s = slot(hi, lo);
        if (handles[s] == ConnTable.NONE || keyHi[s] != hi || keyLo[s] != lo || now - expires[s] >= 0) {
            return ConnTable.NONE;
        }
        return handles[s];
    }
}
