package dev.vnet.dataplane.pipeline;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.Port;
import io.netty.buffer.ByteBuf;

/**
 * The per-frame context handed from stage to stage: the buffer, where the Ethernet frame starts, the ingress port, the
 * batch time, and the outcome. One instance per pipeline is reused for every frame, so nothing is allocated per frame.
 *
 * <p>The frame is {@code buffer[start, start + length)}; later issues add a virtio-net header in front of it without
 * moving it. The pipeline owns the buffer while stages run.
 */
public final class Frame {
    private ByteBuf buf;
    private int start;
    private int length;
    private Port inPort;
    private long now;

    private Verdict verdict = Verdict.PENDING;
    private Port outPort;
    private Port[] floodPorts;
    private DropReason dropReason;

    void reset(ByteBuf buf, Port inPort, long now) {
        this.buf = buf;
        this.start = buf.readerIndex();
        this.length = buf.readableBytes();
        this.inPort = inPort;
        this.now = now;
        this.verdict = Verdict.PENDING;
        this.outPort = null;
        this.floodPorts = null;
        this.dropReason = null;
    }

    void clear() {
        buf = null;
        inPort = null;
        outPort = null;
        floodPorts = null;
    }

    /** The buffer holding the frame; stages read and rewrite it with absolute indexes. */
    public ByteBuf buf() {
        return buf;
    }

    /** Absolute index of the first byte of the Ethernet header. */
    public int start() {
        return start;
    }

    /** Length of the Ethernet frame in bytes. */
    public int length() {
        return length;
    }

    /** The port the frame arrived on. */
    public Port inPort() {
        return inPort;
    }

    /** Time of the read batch this frame came in (nanoseconds, see {@link dev.vnet.dataplane.util.Clock}). */
    public long now() {
        return now;
    }

    /** The outcome so far. */
    public Verdict verdict() {
        return verdict;
    }

    /** The egress port of a {@link Verdict#FORWARD}. */
    public Port outPort() {
        return outPort;
    }

    /** The ports of a {@link Verdict#FLOOD} (the ingress port among them is skipped). */
    public Port[] floodPorts() {
        return floodPorts;
    }

    /** Why a {@link Verdict#DROP}. */
    public DropReason dropReason() {
        return dropReason;
    }

    /** Terminal: send out of {@code port}. Returns null so a stage can {@code return frame.forward(p)}. */
    public Stage forward(Port port) {
        verdict = Verdict.FORWARD;
        outPort = port;
        return null;
    }

    /** Terminal: send out of every port in {@code ports} except the ingress port. */
    public Stage flood(Port[] ports) {
        verdict = Verdict.FLOOD;
        floodPorts = ports;
        return null;
    }

    /** Terminal: drop, counted under {@code reason}. */
    public Stage drop(DropReason reason) {
        verdict = Verdict.DROP;
        dropReason = reason;
        return null;
    }

    /** Terminal: a stage has taken the buffer over. */
    public Stage consume() {
        verdict = Verdict.CONSUMED;
        return null;
    }
}
