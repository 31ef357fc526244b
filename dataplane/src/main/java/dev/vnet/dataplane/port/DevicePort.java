package dev.vnet.dataplane.port;

import io.netty.buffer.ByteBuf;

/**
 * A port that is a device: the pipeline queues frames on it and it writes them (a TAP, or an in-memory port in tests
 * and replay). Device ports are the only code that touches file descriptors.
 *
 * <p>Buffer ownership: {@link #enqueue} takes one reference; the port releases it once the frame is written, or when
 * it drops the frame (counting why). An {@code enqueue} that throws has not taken the reference: the caller (the
 * pipeline) releases it. The frame is {@code buf[readerIndex, writerIndex)}; the port does not move the
 * indexes, so one buffer can be queued on several ports (a flood) with one reference each.
 */
public abstract class DevicePort extends Port {
    /** A device port with a dataplane-wide unique {@code id} and a user-facing {@code name}. */
    protected DevicePort(int id, String name) {
        super(id, name);
    }

    /** A device port in split-horizon group {@code splitHorizonGroup} that bridges learn from when {@code learning}. */
    protected DevicePort(int id, String name, int splitHorizonGroup, boolean learning) {
        super(id, name, splitHorizonGroup, learning);
    }

    /** An in-memory port unless a subclass says otherwise (a TAP names its interface). */
    @Override
    public String device() {
        return "memory";
    }

    /** Queues a frame to send; takes ownership of one reference of {@code frame}. */
    public abstract void enqueue(ByteBuf frame);

    /**
     * True when the port can send frames with offloads as they are (a TAP with a virtio-net header, a VXLAN tunnel
     * that hands segmentation to the kernel); the pipeline
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
    @Override
    public abstract void close();
}
