package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.Port;
import io.netty.buffer.ByteBuf;

/**
 * The router's port on a bridge (VPP calls it a BVI): a member of the bridge like any other, whose MAC is the router
 * interface's, but internal: the pipeline runs the router's stages with frames sent to it instead of writing them.
 */
public final class RouterPort extends Port {
    /** A router port with the given id and name. */
    public RouterPort(int id, String name) {
        super(id, name);
    }

    @Override
    public boolean isInternal() {
        return true;
    }

    @Override
    public void enqueue(ByteBuf frame) {
        // The pipeline never queues on an internal port; be safe if something does.
        counters().drop(DropReason.INTERNAL_ERROR);
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
}
