package dev.vnet.dataplane.trace;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One capture: frames of chosen ports and directions (and, if asked, frames the dataplane drops), selected by a
 * filter and copied into a fixed ring that a reader drains from another thread. The dataplane's loop never waits for
 * the reader: a frame that finds the ring full is not taken and is counted in {@link #ringFull()} (a "capture drop",
 * as tcpdump's "dropped by kernel"). The ring's slots are allocated once and reused; a slot grows only when a longer
 * frame arrives. Every event loop may offer frames ({@link #offer} is synchronized, a cost paid only while a capture
 * is on); one consumer (the reader) drains without the lock.
 */
public final class Capture {
    /** Capture frames as they enter a port. */
    public static final int IN = 1;
    /** Capture frames as they leave a port. */
    public static final int OUT = 2;
    /** Capture frames the dataplane drops, with the reason. */
    public static final int DROPS = 4;

    private final int id;
    private final int mask;
    private final CaptureFilter filter;
    private final int snapLength;
    private final byte[][] data;
    private final int[] length;
    private final int[] originalLength;
    private final long[] time;
    private final int[] direction;
    private final int[] portId;
    private final String[] portName;
    private final DropReason[] reason;
    private final String[] detail;
    private final int slotMask;
    private final AtomicLong head = new AtomicLong(); // next slot the reader takes
    private final AtomicLong tail = new AtomicLong(); // next slot the loop fills
    private final AtomicLong seen = new AtomicLong();
    private final AtomicLong ringFull = new AtomicLong();
    private volatile boolean stopped;
    private volatile String failure;
    private byte[] scratch;

    /**
     * The mask for a capture taking {@code direction} ("in", "out" or "both") on its ports, none when
     * {@code onPorts} is false, and dropped frames when {@code drops}.
     */
    public static int mask(String direction, boolean onPorts, boolean drops) {
        int onPortsMask = switch (direction) {
            case "in" -> IN;
            case "out" -> OUT;
            case "both" -> IN | OUT;
            default -> throw new IllegalArgumentException("must be in, out or both, not '" + direction + "'");
        };
        return (onPorts ? onPortsMask : 0) | (drops ? DROPS : 0);
    }

    /**
     * A capture of {@code mask} ({@link #IN}, {@link #OUT}, {@link #DROPS} or'ed) through {@code filter}, holding up
     * to {@code slots} frames (rounded up to a power of two) of up to {@code snapLength} bytes each.
     */
    public Capture(int id, int mask, CaptureFilter filter, int slots, int snapLength) {
        if (slots < 1 || slots > (1 << 20)) {
            throw new IllegalArgumentException("capture ring of " + slots + " frames is outside 1.." + (1 << 20));
        }
        if (snapLength < 14 || snapLength > 262_144) {
            throw new IllegalArgumentException("snap length " + snapLength + " is outside 14..262144");
        }
        int n = Integer.highestOneBit(slots * 2 - 1);
        this.id = id;
        this.mask = mask;
        this.filter = filter;
        this.snapLength = snapLength;
        this.slotMask = n - 1;
        data = new byte[n][];
        length = new int[n];
        originalLength = new int[n];
        time = new long[n];
        direction = new int[n];
        portId = new int[n];
        portName = new String[n];
        reason = new DropReason[n];
        detail = new String[n];
    }

    /** Its number, unique in the dataplane. */
    public int id() {
        return id;
    }

    /** True when it takes frames in direction {@code d} ({@link #IN}, {@link #OUT} or {@link #DROPS}). */
    public boolean wants(int d) {
        return (mask & d) != 0;
    }

    /** The longest part of a frame it keeps. */
    public int snapLength() {
        return snapLength;
    }

    /**
     * On the loop: offers the frame in {@code buf} (its readable bytes), seen on the port with id {@code port} and
     * name {@code name} in direction {@code d} (with {@code why} for a drop, and {@code what}: what decided it, or null) at pipeline time {@code nanos}. Copies
     * it into a free slot if the filter takes it; never blocks.
     */
    public synchronized void offer(int port, String name, int d, ByteBuf buf, DropReason why, String what,
                                   long nanos) {
        if (stopped) {
            return;
        }
        long t = tail.get();
        boolean full = t - head.get() > slotMask;
        int i = (int) t & slotMask;
        int wire = buf.readableBytes();
        int n = Math.min(wire, snapLength);
        // A full ring still filters (into a scratch slot), so that only wanted frames count as capture drops.
        byte[] slot = full ? scratch : data[i];
        if (slot == null || slot.length < n) {
            slot = new byte[Math.max(n, 2048)];
            if (full) {
                scratch = slot;
            } else {
                data[i] = slot;
            }
        }
        buf.getBytes(buf.readerIndex(), slot, 0, n);
        if (!filter.matches(slot, n, wire)) {
            return;
        }
        if (full) {
            ringFull.incrementAndGet();
            return;
        }
        length[i] = n;
        originalLength[i] = wire;
        time[i] = nanos;
        direction[i] = d;
        portId[i] = port;
        portName[i] = name;
        reason[i] = why;
        detail[i] = what;
        seen.lazySet(seen.get() + 1);
        tail.lazySet(t + 1); // publishes the slot to the reader
    }

    /** One captured frame, as the reader sees it; valid until {@link #release}. */
    public interface FrameVisitor {
        /**
         * Called with the frame's slot, seen on the port with id {@code port} and name {@code name}; {@code why} is
         * null unless it was dropped, {@code detail} what decided the drop beyond its reason (a rule) or null.
         */
        void visit(int port, String name, int direction, byte[] data, int length, int originalLength, long nanos,
                   DropReason why, String detail) throws java.io.IOException;
    }

    /** On the reader: hands every captured frame not yet read to {@code visitor}, then frees their slots. */
    public int drain(FrameVisitor visitor) throws java.io.IOException {
        long h = head.get();
        long t = tail.get();
        int n = 0;
        while (h < t) {
            int i = (int) h & slotMask;
            visitor.visit(portId[i], portName[i], direction[i], data[i], length[i], originalLength[i], time[i],
                    reason[i], detail[i]);
            portName[i] = null;
            detail[i] = null;
            h++;
            n++;
            head.lazySet(h);
        }
        return n;
    }

    /** Frames taken (passed the filter and found room). */
    public long captured() {
        return seen.get();
    }

    /** Frames the filter wanted but that found the ring full: the reader was too slow. */
    public long ringFull() {
        return ringFull.get();
    }

    /** Stops taking frames (the loop also unhooks the capture); frames already taken can still be drained. */
    public void stop() {
        stopped = true;
    }

    /** True once stopped. */
    public boolean stopped() {
        return stopped;
    }

    /**
     * Stops taking frames because the capture cannot go on ({@code why}: its filter threw on the loop, its file
     * could not be written); the first reason is kept and reported ({@link #failure}). The reader, or whoever
     * drains it, then ends it with the dataplane's {@code stopCapture}.
     */
    public void fail(String why) {
        if (failure == null) {
            failure = why;
        }
        stopped = true;
    }

    /** Why the capture failed, or null while it is fine (or was stopped normally). */
    public String failure() {
        return failure;
    }

    /** The filter, freed by the loop when the capture is unhooked. */
    public CaptureFilter filter() {
        return filter;
    }
}
