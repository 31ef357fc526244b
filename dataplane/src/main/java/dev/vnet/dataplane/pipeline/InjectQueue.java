package dev.vnet.dataplane.pipeline;

import dev.vnet.dataplane.port.Port;
import io.netty.buffer.ByteBuf;

/**
 * The frames stages and timers injected that the pipeline has yet to run: a ring of (port, first stage, buffer,
 * offload state, whether it is a held frame resuming), first in first out, growing by doubling (a power of two, so an index wraps with a mask). One per
 * pipeline, used by its loop only; nothing is allocated per frame once it has grown to the loop's largest burst.
 * Ownership: the queue holds the reference of each buffer between {@link #add} and {@link #take}.
 */
final class InjectQueue {
    private Port[] ports = new Port[16];
    private Stage[] stages = new Stage[16];
    private ByteBuf[] bufs = new ByteBuf[16];
    private long[] offloads = new long[16];
    private boolean[] resumed = new boolean[16];
    private int head;
    private int count;
    // The entry take() returned, read through these until the next take.
    private Port takenPort;
    private Stage takenStage;
    private long takenOffload;
    private boolean takenResumed;

    /**
     * Appends a frame to run from {@code stage} as if received on {@code in} ({@code resumes}: a frame the dataplane
     * held, going on); takes {@code buf}.
     */
    void add(Port in, Stage stage, ByteBuf buf, long offload, boolean resumes) {
        if (count == bufs.length) {
            grow();
        }
        int at = (head + count) & (bufs.length - 1);
        ports[at] = in;
        stages[at] = stage;
        bufs[at] = buf;
        offloads[at] = offload;
        resumed[at] = resumes;
        count++;
    }

    /** True when nothing is queued. */
    boolean isEmpty() {
        return count == 0;
    }

    /**
     * Removes the oldest frame and returns its buffer (the caller owns it from here); its port, stage and offload
     * state are then {@link #port}, {@link #stage} and {@link #offload}. Call only when not {@link #isEmpty}.
     */
    ByteBuf take() {
        int at = head;
        takenPort = ports[at];
        takenStage = stages[at];
        takenOffload = offloads[at];
        takenResumed = resumed[at];
        ByteBuf buf = bufs[at];
        ports[at] = null;
        stages[at] = null;
        bufs[at] = null;
        head = (head + 1) & (bufs.length - 1);
        count--;
        return buf;
    }

    /** The port of the frame {@link #take} returned last. */
    Port port() {
        return takenPort;
    }

    /** The stage the frame {@link #take} returned last runs from. */
    Stage stage() {
        return takenStage;
    }

    /** The offload state of the frame {@link #take} returned last. */
    long offload() {
        return takenOffload;
    }

    /** True when the frame {@link #take} returned last is a held frame resuming. */
    boolean resumed() {
        return takenResumed;
    }

    private void grow() {
        int n = bufs.length;
        Port[] p = new Port[n * 2];
        Stage[] s = new Stage[n * 2];
        ByteBuf[] b = new ByteBuf[n * 2];
        long[] o = new long[n * 2];
        boolean[] r = new boolean[n * 2];
        for (int i = 0; i < count; i++) {
            int from = (head + i) & (n - 1);
            p[i] = ports[from];
            s[i] = stages[from];
            b[i] = bufs[from];
            o[i] = offloads[from];
            r[i] = resumed[from];
        }
        ports = p;
        stages = s;
        bufs = b;
        offloads = o;
        resumed = r;
        head = 0;
    }
}
