package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.pipeline.Frame;
import io.netty.buffer.ByteBuf;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Virtual reassembly for NAT (as VPP's NAT does it): the first fragment of a datagram, which carries the ports,
 * finds or creates its connection as any packet does and records here what became of it under the datagram's
 * identity (source, destination, protocol, IP identification, RFC 791): its connection, or {@link #UNTRACKED} when
 * it went on untracked (to the router itself, a protocol without ports). The later fragments, which carry no ports,
 * find that here and follow it: the same address translation, or untracked as their first.
 *
 * <p>A later fragment that may need a translation and finds nothing (it overtook its first fragment) is held, not
 * dropped: at most {@link #HOLD_MAX} fragments wait, each at most {@link #HOLD_NANOS}. Recording the first fragment
 * releases its datagram's held fragments, in the order they came, into the recording loop's pipeline, after the
 * first; the router's timer drops those whose first did not come ({@code fragment-timeout}); a fragment that finds
 * the hold full is dropped at once ({@code fragment-hold-full}). Nothing is reassembled or copied: fragments go on
 * one by one, as they came. (The kernel reassembles every datagram before conntrack, so the order never matters to
 * it, and holds fragments for ipfrag_time, 30 s, within 4 MB.)
 *
 * <p>Bounded and allocation-free: a direct-mapped table of {@link #SLOTS} entries, a new datagram taking the slot
 * of whatever hashed there before; entries live {@link #LIFETIME_NANOS}. Synchronized: fragments are rare, and any
 * loop may see them; holding and recording take the same lock, so a fragment is never held after its first was
 * recorded.
 */
final class FragmentTable {
    /** Entries. */
    static final int SLOTS = 4096;
    /** How long after its first fragment a datagram's later fragments are recognized (the kernel's ipfrag_time is 30 s). */
    static final long LIFETIME_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Recorded for a first fragment that went on untracked: its later fragments go on untracked too. */
    static final int UNTRACKED = -3;
    /** Returned by {@link #findOrHold} when the fragment is now held (the caller consumes it). */
    static final int HELD = -4;
    /** Returned by {@link #findOrHold} when the hold is full (the caller drops the fragment). */
    static final int HOLD_FULL = -5;
    /** Fragments held at most, all datagrams together. */
    static final int HOLD_MAX = 128;
    /** How long a fragment waits for its datagram's first fragment (VPP's NAT waits 2 s). */
    static final long HOLD_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final long[] keyHi = new long[SLOTS];
    private final long[] keyLo = new long[SLOTS];
    private final int[] handles = new int[SLOTS];
    private final long[] expires = new long[SLOTS];

    // The held fragments, in the order they came (0 .. heldCount-1).
    private final long[] heldHi = new long[HOLD_MAX];
    private final long[] heldLo = new long[HOLD_MAX];
    private final RouterInterface[] heldIface = new RouterInterface[HOLD_MAX];
    private final ByteBuf[] heldBuf = new ByteBuf[HOLD_MAX];
    private final long[] heldOffload = new long[HOLD_MAX];
    private final long[] heldDeadline = new long[HOLD_MAX];
    private int heldCount;
    private long heldTotal;

    /** An empty table. */
    FragmentTable() {
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
     * and direction), or is {@link #UNTRACKED}, and hands its held fragments, if any, to {@code frame}'s pipeline to
     * run after the current frame, each resuming where it entered the router.
     */
    synchronized void record(int src, int dst, int protocol, int ipId, int handle, long now, Frame frame) {
        long hi = FlowKey.hi(src, dst);
        long lo = lo(protocol, ipId);
        int s = slot(hi, lo);
        keyHi[s] = hi;
        keyLo[s] = lo;
        handles[s] = handle;
        expires[s] = now + LIFETIME_NANOS;
        if (heldCount > 0) {
            releaseHeld(hi, lo, frame);
        }
    }

    private void releaseHeld(long hi, long lo, Frame frame) {
        int kept = 0;
        for (int i = 0; i < heldCount; i++) {
            if (heldHi[i] == hi && heldLo[i] == lo) {
                RouterInterface iface = heldIface[i];
                frame.resume(iface.port(), iface.resume(), heldBuf[i], heldOffload[i]);
            } else {
                move(i, kept++);
            }
        }
        forget(kept);
    }

    /**
     * The connection handle (or {@link #UNTRACKED}) recorded for the datagram {@code src -> dst, protocol, ipId};
     * when there is none: {@link ConnTable#NONE} if {@code hold} is false, else the fragment in {@code frame}, which
     * came in on {@code iface}, is held ({@link #HELD}: the caller consumes the frame) or the hold is full
     * ({@link #HOLD_FULL}).
     */
    synchronized int findOrHold(int src, int dst, int protocol, int ipId, long now, boolean hold, Frame frame,
                                RouterInterface iface) {
        long hi = FlowKey.hi(src, dst);
        long lo = lo(protocol, ipId);
        int s = slot(hi, lo);
        if (handles[s] != ConnTable.NONE && keyHi[s] == hi && keyLo[s] == lo && now - expires[s] < 0) {
            return handles[s];
        }
        if (!hold) {
            return ConnTable.NONE;
        }
        if (heldCount == HOLD_MAX) {
            return HOLD_FULL;
        }
        int i = heldCount++;
        heldHi[i] = hi;
        heldLo[i] = lo;
        heldIface[i] = iface;
        heldBuf[i] = frame.buf();
        heldOffload[i] = frame.offload();
        heldDeadline[i] = now + HOLD_NANOS;
        heldTotal++;
        return HELD;
    }

    /**
     * Drops the held fragments whose first fragment did not come in time, each counted as {@code fragment-timeout}
     * on the port it came in by. Run by the router's timer.
     */
    synchronized void expire(long now) {
        int kept = 0;
        for (int i = 0; i < heldCount; i++) {
            if (now - heldDeadline[i] >= 0) {
                heldIface[i].port().counters().drop(DropReason.FRAGMENT_TIMEOUT);
                heldBuf[i].release();
            } else {
                move(i, kept++);
            }
        }
        forget(kept);
    }

    /** Releases every held fragment (the dataplane is closing). */
    synchronized void clear() {
        for (int i = 0; i < heldCount; i++) {
            heldBuf[i].release();
        }
        forget(0);
    }

    /** Fragments held now. */
    synchronized int heldNow() {
        return heldCount;
    }

    /** Fragments ever held (each waited for its datagram's first fragment). */
    synchronized long heldTotal() {
        return heldTotal;
    }

    private void move(int from, int to) {
        if (from != to) {
            heldHi[to] = heldHi[from];
            heldLo[to] = heldLo[from];
            heldIface[to] = heldIface[from];
            heldBuf[to] = heldBuf[from];
            heldOffload[to] = heldOffload[from];
            heldDeadline[to] = heldDeadline[from];
        }
    }

    /** Keeps the first {@code kept} held entries and clears the references of the rest. */
    private void forget(int kept) {
        Arrays.fill(heldIface, kept, heldCount, null);
        Arrays.fill(heldBuf, kept, heldCount, null);
        heldCount = kept;
    }
}
