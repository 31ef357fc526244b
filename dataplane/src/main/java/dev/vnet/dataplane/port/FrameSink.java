package dev.vnet.dataplane.port;

import io.netty.buffer.ByteBuf;

/**
 * Where a port delivers what it reads: the pipeline of the event loop the port runs on. A port calls
 * {@link #beginBatch}, then {@link #receive} for each frame of one read batch, then {@link #endBatch}, which flushes
 * every port the batch wrote to.
 */
public interface FrameSink {
    /** A read batch starts (the sink reads its clock here, once per batch). */
    void beginBatch();

    /** A frame read from {@code in}; the sink takes ownership of {@code frame} (one reference). */
    void receive(Port in, ByteBuf frame);

    /** The read batch is over: flush what it queued. */
    void endBatch();
}
