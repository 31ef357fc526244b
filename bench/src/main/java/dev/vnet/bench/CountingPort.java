package dev.vnet.bench;

import dev.vnet.dataplane.port.DevicePort;
import io.netty.buffer.ByteBuf;

/**
 * An egress port that counts what it is given and releases it at once: the device write is left out, so a benchmark
 * measures the dataplane's decision and buffer handling only.
 */
public final class CountingPort extends DevicePort {
    private long frames;

    /** A port with the given id and name. */
    public CountingPort(int id, String name) {
        super(id, name);
    }

    @Override
    public void enqueue(ByteBuf frame) {
        frames++;
        frame.release();
    }

    @Override
    public void flush() {
        // nothing is queued
    }

    @Override
    public void close() {
        // no device
    }

    /** Frames received for sending. */
    public long frames() {
        return frames;
    }
}
