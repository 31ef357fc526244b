package dev.vnet.dataplane.port;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A port without a device: frames are injected by a caller and what the dataplane sends is kept in a queue. For stage
 * tests, benchmarks and offline replay. Mirrors a device port's batching: sent frames become visible at flush.
 *
 * <p>Sending and taking are synchronized: with several event loops, any of them may send to the port. Injecting
 * holds no lock (the frame may be sent to another in-memory port).
 *
 * <p>Ownership: {@link #inject} hands a reference to the sink; frames taken with {@link #poll} belong to the caller.
 */
public final class MemoryPort extends DevicePort {
    private final FrameSink[] sinks; // per loop
    private final ArrayDeque<ByteBuf> queued = new ArrayDeque<>();
    private final ArrayDeque<ByteBuf> sent = new ArrayDeque<>();
    private final ArrayDeque<Long> queuedOffloads = new ArrayDeque<>();
    private final ArrayDeque<Long> sentOffloads = new ArrayDeque<>();
    private volatile boolean acceptsOffloads;
    private boolean closed;

    /** A port that delivers injected frames to {@code sink}. */
    public MemoryPort(int id, String name, FrameSink sink) {
        this(id, name, new FrameSink[] {sink});
    }

    private MemoryPort(int id, String name, FrameSink[] sinks) {
        super(id, name);
        this.sinks = sinks.clone();
    }

    /**
     * A port that delivers frames injected on loop {@code i} to {@code sinks[i]} (that loop's pipeline), so a test
     * can feed every loop of a dataplane; frames injected from any other thread go to {@code sinks[0]}.
     */
    public static MemoryPort onLoops(int id, String name, FrameSink[] sinks) {
        return new MemoryPort(id, name, sinks);
    }

    private FrameSink sink() {
        int loop = dev.vnet.dataplane.loop.LoopThread.currentIndex();
        return sinks[loop < sinks.length ? loop : 0];
    }

    /** Delivers one frame as a read batch of one; takes ownership of {@code frame}. */
    public void inject(ByteBuf frame) {
        FrameSink sink = sink();
        sink.beginBatch();
        counters().rx(frame.readableBytes());
        sink.receive(this, frame);
        sink.endBatch();
    }

    /** Delivers one frame with offload state {@code offload} as a read batch of one; takes ownership of it. */
    public void inject(ByteBuf frame, long offload) {
        FrameSink sink = sink();
        sink.beginBatch();
        counters().rx(frame.readableBytes());
        sink.receive(this, frame, offload);
        sink.endBatch();
    }

    /** Makes this port take offloaded frames as they are, like a TAP with a virtio-net header (off by default). */
    public void acceptOffloads(boolean on) {
        this.acceptsOffloads = on;
    }

    /** A namespace's or the host's interface: a tenant ({@link Port#tenant}). */
    @Override
    public boolean tenant() {
        return true;
    }

    @Override
    public boolean acceptsOffloads() {
        return acceptsOffloads;
    }

    @Override
    public synchronized void enqueue(ByteBuf frame, long offload) {
        if (closed) {
            counters().drop(DropReason.PORT_CLOSED);
            frame.release();
            return;
        }
        queued.add(frame);
        if (acceptsOffloads) {
            queuedOffloads.add(offload);
        }
    }

    /** Delivers several frames as one read batch; takes ownership of each. */
    public void injectBatch(List<ByteBuf> frames) {
        FrameSink sink = sink();
        sink.beginBatch();
        for (ByteBuf frame : frames) {
            counters().rx(frame.readableBytes());
            sink.receive(this, frame);
        }
        sink.endBatch();
    }

    @Override
    public void enqueue(ByteBuf frame) {
        enqueue(frame, 0);
    }

    @Override
    public synchronized void flush() {
        ByteBuf frame;
        while ((frame = queued.poll()) != null) {
            counters().tx(frame.readableBytes());
            sent.add(frame);
            if (acceptsOffloads) {
                sentOffloads.add(queuedOffloads.poll());
            }
        }
    }

    /** The oldest frame sent and not yet taken, or null; the caller must release it. */
    public synchronized ByteBuf poll() {
        return sent.poll();
    }

    /** Takes every sent frame, oldest first; the caller must release them. */
    public synchronized List<ByteBuf> drain() {
        List<ByteBuf> all = new ArrayList<>(sent);
        sent.clear();
        return all;
    }

    /**
     * The offload states of the frames sent since the last call, oldest first (only a port that
     * {@link #acceptOffloads accepts offloads} records them).
     */
    public synchronized List<Long> drainOffloads() {
        List<Long> all = new ArrayList<>(sentOffloads);
        sentOffloads.clear();
        return all;
    }

    /** Frames sent and not yet taken. */
    public synchronized int sentCount() {
        return sent.size();
    }

    /** Releases every frame sent and not taken (tests call it to keep leak detection quiet about frames they ignore). */
    public synchronized void discardSent() {
        ByteBuf frame;
        while ((frame = sent.poll()) != null) {
            frame.release();
        }
        sentOffloads.clear();
    }

    @Override
    public synchronized void close() {
        closed = true;
        ByteBuf frame;
        while ((frame = queued.poll()) != null) {
            counters().drop(DropReason.PORT_CLOSED);
            frame.release();
        }
        queuedOffloads.clear();
        discardSent();
    }
}
