package dev.vnet.dataplane.port;

import dev.vnet.dataplane.loop.LoopThread;
import io.netty.buffer.ByteBuf;

/**
 * A place frames enter and leave the dataplane: a TAP device, or an in-memory port in tests and replay.
 *
 * <p>Buffer ownership: {@link #enqueue} takes one reference; the port releases it once the frame is written, or when
 * it drops the frame (counting why). An {@code enqueue} that throws has not taken the reference: the caller (the
 * pipeline) releases it. The frame is {@code buf[readerIndex, writerIndex)}; the port does not move the
 * indexes, so one buffer can be queued on several ports (a flood) with one reference each.
 *
 * <p>Ports are the only code that touches file descriptors, and do I/O only: where a port's frames enter the stage
 * graph and which captures watch it are the pipeline's ({@code pipeline.Attachments}), and so is the mark that a
 * port has frames to flush. With several event loops every loop sends and receives through the same port objects:
 * what a loop writes per frame (counters, a TAP port's queue) is kept per loop ({@link LoopThread#currentIndex()}),
 * and readers add the loops up ({@link #totals()}) while the loops are stopped at a barrier.
 */
public abstract class Port {
    private final int id;
    private final String name;
    private final PortCounters[] counters = new PortCounters[LoopThread.MAX_LOOPS]; // per loop, made on first use

    /** A port with a dataplane-wide unique {@code id} and a user-facing {@code name}. */
    protected Port(int id, String name) {
        this.id = id;
        this.name = name;
    }

    /** Dataplane-wide unique id. */
    public final int id() {
        return id;
    }

    /** The name users know the port by (the namespace or interface it leads to). */
    public final String name() {
        return name;
    }

    /** The calling loop's counters of this port (written by that loop only). */
    public final PortCounters counters() {
        int loop = LoopThread.currentIndex();
        PortCounters c = counters[loop];
        if (c == null) {
            c = new PortCounters(); // once per loop and port, never per frame
            counters[loop] = c;
        }
        return c;
    }

    /** The counters of every loop added up; read while the loops are stopped (or from the only loop). */
    public final PortCounters totals() {
        PortCounters sum = new PortCounters();
        for (PortCounters c : counters) {
            if (c != null) {
                sum.add(c);
            }
        }
        return sum;
    }

    /**
     * True for a port inside the dataplane (the router's port on a bridge): the pipeline runs the stages its frames
     * enter with a frame sent to it, instead of calling {@link #enqueue}.
     */
    public boolean isInternal() {
        return false;
    }

    /** Queues a frame to send; takes ownership of one reference of {@code frame}. */
    public abstract void enqueue(ByteBuf frame);

    /**
     * True when the port can send frames with offloads as they are (a TAP with a virtio-net header); the pipeline
     * completes checksums and segments super-frames in software before handing them to any other port.
     */
    public boolean acceptsOffloads() {
        return false;
    }

    /**
     * As {@link #enqueue(ByteBuf)}, for a frame with offload state {@code offload} (non-zero only when
     * {@link #acceptsOffloads}).
     */
    public void enqueue(ByteBuf frame, long offload) {
        enqueue(frame);
    }

    /** Sends what {@link #enqueue} queued. */
    public abstract void flush();

    /** Releases the port's device and every queued buffer. Idempotent. */
    public abstract void close();

    @Override
    public String toString() {
        return name;
    }
}
