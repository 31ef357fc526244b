package dev.vnet.dataplane.port;

import dev.vnet.dataplane.DropReason;

/**
 * Per-port counters: frames and bytes received and sent, read errors, and drops by {@link DropReason} (ingress drops
 * counted on the port the frame came in on, transmit drops on the port it was to leave by). One set per port and
 * event loop, written by that loop only; readers add the sets up ({@link Port#totals()}).
 */
public final class PortCounters {
    private long rxFrames;
    private long rxBytes;
    private long txFrames;
    private long txBytes;
    private long rxErrors;
    private final long[] drops = new long[DropReason.count()];

    /** Counts one received frame of {@code bytes}. */
    public void rx(int bytes) {
        rxFrames++;
        rxBytes += bytes;
    }

    /** Counts one sent frame of {@code bytes}. */
    public void tx(int bytes) {
        txFrames++;
        txBytes += bytes;
    }

    /** Counts {@code frames} sent frames of {@code bytes} in all (segments that left in one send). */
    public void tx(int frames, int bytes) {
        txFrames += frames;
        txBytes += bytes;
    }

    /** Counts a failed read. */
    public void rxError() {
        rxErrors++;
    }

    /** Counts one dropped frame. */
    public void drop(DropReason reason) {
        drops[reason.ordinal()]++;
    }

    /** Frames received. */
    public long rxFrames() {
        return rxFrames;
    }

    /** Bytes received. */
    public long rxBytes() {
        return rxBytes;
    }

    /** Frames sent. */
    public long txFrames() {
        return txFrames;
    }

    /** Bytes sent. */
    public long txBytes() {
        return txBytes;
    }

    /** Failed reads. */
    public long rxErrors() {
        return rxErrors;
    }

    /** Frames dropped for {@code reason}. */
    public long drops(DropReason reason) {
        return drops[reason.ordinal()];
    }

    /** Frames dropped for any reason. */
    public long dropsTotal() {
        long total = 0;
        for (long d : drops) {
            total += d;
        }
        return total;
    }

    /** Adds {@code other}'s counts to these. */
    void add(PortCounters other) {
        rxFrames += other.rxFrames;
        rxBytes += other.rxBytes;
        txFrames += other.txFrames;
        txBytes += other.txBytes;
        rxErrors += other.rxErrors;
        for (int i = 0; i < drops.length; i++) {
            drops[i] += other.drops[i];
        }
    }

    /** A copy, for reading from another thread after taking it on the owning loop. */
    public PortCounters copy() {
        PortCounters c = new PortCounters();
        c.rxFrames = rxFrames;
        c.rxBytes = rxBytes;
        c.txFrames = txFrames;
        c.txBytes = txBytes;
        c.rxErrors = rxErrors;
        System.arraycopy(drops, 0, c.drops, 0, drops.length);
        return c;
    }
}
