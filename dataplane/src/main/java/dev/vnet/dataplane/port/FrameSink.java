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

    /** A plain frame read from {@code in}; the sink takes ownership of {@code frame} (one reference). */
    default void receive(Port in, ByteBuf frame) {
        receive(in, frame, 0);
    }

    /**
     * A frame read from {@code in} with its offload state ({@link dev.vnet.dataplane.wire.Offload}, 0 for none); the
     * sink takes ownership of {@code frame} (one reference).
     */
    void receive(Port in, ByteBuf frame, long offload);

    /** The read batch is over: flush what it queued. */
    void endBatch();

    /**
     * Something was thrown out of a read batch of {@code in} (out of {@link #receive} or {@link #endBatch}, or by
     * the port itself): the sink decides whether the loop goes on (it counts the loss) or the loop's failure is
     * reported. Never throws.
     */
    void failed(Port in, Throwable t);
}
