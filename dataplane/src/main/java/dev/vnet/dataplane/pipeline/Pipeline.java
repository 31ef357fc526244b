package dev.vnet.dataplane.pipeline;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.DevicePort;
import dev.vnet.dataplane.port.FrameSink;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.trace.Capture;
import dev.vnet.dataplane.trace.Captures;
import dev.vnet.dataplane.trace.DecisionTrace;
import dev.vnet.dataplane.trace.FrameSummary;
import dev.vnet.dataplane.util.Clock;
import dev.vnet.dataplane.util.RateLimitedLog;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.SoftwareOffload;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Runs frames through the stage graph and carries out the outcome; one per event loop.
 *
 * <p>Stages decide, the pipeline does I/O: it walks the stages from the ingress port's first stage until one sets a
 * verdict, then queues the buffer on the egress port(s) or releases it, and flushes every port it queued on once per
 * read batch. Ownership: {@link #receive} takes the buffer; it passes one reference per egress port, or releases it on
 * a drop.
 *
 * <p>Failures (docs/reliability.md, "When code throws on a loop"): a {@code RuntimeException} from a stage, a capture,
 * a port's {@code enqueue} or {@code flush}, or software offload costs only the frame (or the copy for that port):
 * it is dropped and counted as {@code internal-error} on the port, logged at most once a second, its buffer
 * released, and the loop goes on at once. A capture that throws is failed and taken off. An {@code Error} is not
 * caught here: it goes up to the loop, whose owner reports it to {@link #onLoopFailure} (vnet then exits).
 *
 * <p>Stages may inject frames they build (ARP replies, ICMP errors) or release (frames that waited for ARP); the
 * pipeline runs them after the current frame, from the stage they name, at most {@link #MAX_INJECTIONS_PER_FRAME}
 * per frame. A port that is not a {@link DevicePort} (the router's edge on a bridge) is not written to: the stages
 * its frames enter run instead.
 *
 * <p>Invariant (checked by tests): every frame received or injected is forwarded, flooded, dropped, consumed or
 * handled locally exactly once.
 */
public final class Pipeline implements FrameSink {
    private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

    /** Frames a stage may inject while one frame is processed, before the rest are dropped (a loop guard). */
    public static final int MAX_INJECTIONS_PER_FRAME = 64;

    private final Frame frame = new Frame(this);
    private final Attachments attachments;
    private final Clock clock;
    private final ByteBufAllocator allocator;
    private final InjectQueue injectQueue = new InjectQueue();
    private int injectedThisFrame;
    private boolean running;
    private final RateLimitedLog internalErrors = new RateLimitedLog(log, TimeUnit.SECONDS.toNanos(1));
    private DevicePort[] toFlush = new DevicePort[16];
    private int toFlushCount;
    private boolean[] flushPending = new boolean[16]; // by port id: queued on since the batch's last flush
    private long now;
    private Capture[] dropCaptures; // null unless a capture takes drops
    private DecisionTrace trace; // null unless a decision trace is on

    private long received;
    private long forwarded;
    private long flooded;
    private long dropped;
    private long consumed;
    private long local;
    private long injected;
    private long injectionDrops;
    private long softwareOffloads;
    private long internalErrorCount;
    private java.util.function.Consumer<Throwable> loopFailure = e -> log.error("a dataplane loop failed", e);

    /**
     * A pipeline that reads {@code clock} once per batch, allocates frames it builds from Netty's pool, and finds each
     * port's stages and captures in {@code attachments} (one for all the loops of a dataplane).
     */
    public Pipeline(Clock clock, Attachments attachments) {
        this(clock, PooledByteBufAllocator.DEFAULT, attachments);
    }

    /** As {@link #Pipeline(Clock, Attachments)}, allocating the frames it builds from {@code allocator}. */
    public Pipeline(Clock clock, ByteBufAllocator allocator, Attachments attachments) {
        this.clock = clock;
        this.allocator = allocator;
        this.attachments = attachments;
        this.now = clock.nanos();
    }

    /** Each port's stages and captures, as this pipeline reads them. */
    public Attachments attachments() {
        return attachments;
    }

    /** Allocates a buffer for a frame the dataplane builds (ARP, ICMP), pooled and direct like port reads. */
    public ByteBuf allocate(int capacity) {
        return allocator.directBuffer(capacity);
    }

    /**
     * Queues a frame built or released by a stage or a timer to run from {@code stage} as if received on {@code in}.
     * Inside {@link #receive} it runs after the current frame; otherwise at {@link #endBatch}. Takes {@code buf}.
     */
    public void inject(Port in, Stage stage, ByteBuf buf) {
        inject(in, stage, buf, 0);
    }

    /** As {@link #inject(Port, Stage, ByteBuf)}, for a frame with offload state {@code offload}. */
    public void inject(Port in, Stage stage, ByteBuf buf, long offload) {
        enqueueInjected(in, stage, buf, offload, false);
    }

    /**
     * As {@link #inject(Port, Stage, ByteBuf, long)}, for a frame the dataplane held that now goes on (a fragment that
     * waited for its datagram's first): it was captured when it came in, so it is not captured again, and a decision
     * trace says it resumed.
     */
    public void resume(Port in, Stage stage, ByteBuf buf, long offload) {
        enqueueInjected(in, stage, buf, offload, true);
    }

    private void enqueueInjected(Port in, Stage stage, ByteBuf buf, long offload, boolean resumes) {
        if (running && ++injectedThisFrame > MAX_INJECTIONS_PER_FRAME) {
            injectionDrops++;
            in.counters().drop(DropReason.INJECTION_LIMIT);
            buf.release();
            return;
        }
        injectQueue.add(in, stage, buf, offload, resumes);
    }

    private void runInjected() {
        while (!injectQueue.isEmpty()) {
            ByteBuf buf = injectQueue.take();
            injected++;
            processGuarded(injectQueue.port(), injectQueue.stage(), buf, injectQueue.offload(), injectQueue.resumed());
        }
    }

    /**
     * {@link #process}, and the last guard: every step that can throw on a frame catches what it throws itself (and
     * releases what it holds); this is for a bug outside them, counted on the frame's port, and the loop goes on.
     */
    private void processGuarded(Port in, Stage first, ByteBuf buf, long offload, boolean resumed) {
        try {
            process(in, first, buf, offload, resumed);
        } catch (RuntimeException e) {
            internalError(in, null, "threw on a frame from port " + in.name(), e);
        }
    }

    @Override
    public void beginBatch() {
        now = clock.nanos();
    }

    /** The time of the current batch. */
    public long now() {
        return now;
    }

    @Override
    public void receive(Port in, ByteBuf buf, long offload) {
        running = true;
        injectedThisFrame = 0;
        try {
            processGuarded(in, attachments.ingress(in), buf, offload, false);
            runInjected();
        } finally {
            running = false;
        }
    }

    /**
     * What a loop's owner calls with anything thrown out of a read batch: a {@code RuntimeException} is counted as
     * {@code internal-error} on {@code in} and the loop goes on; an {@code Error} (out of memory, a JVM fault) means
     * the loop cannot be trusted to go on and goes to the handler set by {@link #onLoopFailure}.
     */
    @Override
    public void failed(Port in, Throwable t) {
        if (t instanceof RuntimeException e) {
            internalError(in, null, "a read batch of port " + in.name() + " threw", e);
        } else {
            loopFailure.accept(t);
        }
    }

    /** Sets what is done with an {@code Error} thrown on this pipeline's loop (the default logs it). */
    public void onLoopFailure(java.util.function.Consumer<Throwable> handler) {
        this.loopFailure = handler;
    }

    /**
     * A frame (or one port's copy of it) lost to an exception: {@code held}, if not null, is released (the caller
     * owned that reference), the drop counted as {@code internal-error} on {@code port}, and the failure logged
     * at most once a second.
     */
    private void internalError(Port port, ByteBuf held, String what, RuntimeException e) {
        internalErrorCount++;
        if (held != null) {
            try {
                held.release();
            } catch (RuntimeException ignored) {
                // already released by whoever threw: nothing more to give back
            }
        }
        port.counters().drop(DropReason.INTERNAL_ERROR);
        internalErrors.warn(now, "dataplane: " + what + "; dropped as internal-error, the loop goes on: {}",
                e.toString());
    }

    private void process(Port in, Stage first, ByteBuf buf, long offload, boolean resumed) {
        int hops = 0;
        while (true) {
            received++;
            offerOnEntry(in, first, buf, resumed);
            int number = trace == null ? 0 : traceNumber(buf);
            if (!runStages(in, first, buf, offload, number, resumed)) {
                return;
            }
            Port out = frame.outPort();
            if (frame.verdict() != Verdict.FORWARD || out instanceof DevicePort) {
                execute(buf, in);
                frame.clear();
                return;
            }
            // To the router's edge on a bridge (a port that is not a device): the router's stages run on the frame
            // now, as the next hop of the same pass (no queueing). Counted as an injection, as frames sent into the
            // dataplane always were.
            forwarded++;
            offload = frame.offload();
            frame.clear();
            offerOnSend(out, buf);
            out.counters().tx(buf.readableBytes());
            if (++hops > MAX_INJECTIONS_PER_FRAME) { // a frame going round between router ports
                injectionDrops++;
                out.counters().drop(DropReason.INJECTION_LIMIT);
                buf.release();
                return;
            }
            injected++;
            in = out;
            first = attachments.ingress(out);
            resumed = false;
        }
    }

    private int traceNumber(ByteBuf buf) {
        try {
            return trace.begin(buf);
        } catch (RuntimeException e) {
            trace.stop(); // a trace whose filter throws traces nothing more; the frame goes on untraced
            log.warn("decision trace stopped: its filter threw: {}", e.toString());
            return 0;
        }
    }

    /**
     * A frame entering the stages is captured where it came in: at a device port's first stage, as "in" there; from
     * the router into a bridge (the router's edge, another stage), as "out" of the edge. A frame the router sends out
     * of an uplink is captured when the port sends it, and a held frame resuming was captured when it came in.
     */
    private void offerOnEntry(Port in, Stage first, ByteBuf buf, boolean resumed) {
        Capture[] captures = attachments.captures(in);
        if (captures == null || resumed) {
            return;
        }
        boolean device = in instanceof DevicePort;
        if (first == attachments.ingress(in)) {
            if (device) {
                Captures.offer(captures, in.id(), in.name(), Capture.IN, buf, null, null, now);
            }
        } else if (!device) {
            Captures.offer(captures, in.id(), in.name(), Capture.OUT, buf, null, null, now);
        }
    }

    /**
     * Runs the stages from {@code first} until one decides, recording them into decision trace {@code number} unless
     * it is 0. False when a stage took the buffer over and then threw: the frame is done, and the buffer is not the
     * pipeline's to execute the verdict on.
     */
    private boolean runStages(Port in, Stage first, ByteBuf buf, long offload, int number, boolean resumed) {
        StageTrace steps = number == 0 ? null : new StageTrace(FrameSummary.of(buf)); // as it came in
        frame.reset(buf, in, now, offload, steps);
        Stage stage = first;
        if (stage == null) {
            frame.drop(DropReason.PORT_UNATTACHED);
        }
        try {
            while (stage != null) {
                stage = stage.run(frame);
            }
            if (frame.verdict() == Verdict.PENDING) {
                frame.drop(DropReason.INTERNAL_ERROR);
            }
        } catch (RuntimeException e) {
            if (steps != null) {
                steps.note("threw " + e);
            }
            if (frame.verdict() == Verdict.CONSUMED) {
                consumed++; // the stage handed the buffer over before it threw: not ours to release
                if (steps != null) {
                    steps.finish(trace, number, in, entry(in, first, resumed), frame, buf);
                }
                frame.clear();
                return false;
            }
            frame.drop(DropReason.INTERNAL_ERROR);
            internalErrors.warn(now, "a stage threw on a frame from port " + in.name() + "; frame dropped: {}",
                    e.toString());
        }
        if (steps != null) {
            steps.finish(trace, number, in, entry(in, first, resumed), frame, buf);
        }
        return true;
    }

    /** How a traced pass began: a frame in on its port, a held frame resuming, or one the router sent from there. */
    private String entry(Port in, Stage first, boolean resumed) {
        return resumed ? "resumed on " : first == attachments.ingress(in) ? "in " : "from vnet out of ";
    }

    private void execute(ByteBuf buf, Port in) {
        switch (frame.verdict()) {
            case FORWARD -> {
                forwarded++;
                send(frame.outPort(), buf, frame.offload());
            }
            case FLOOD -> flood(buf, frame.l2InPort(), frame.floodPorts(), frame.offload());
            case CONSUMED -> consumed++;
            case LOCAL -> {
                local++;
                buf.release();
            }
            default -> drop(buf, in, frame.dropReason(), frame.dropDetail());
        }
    }

    private void flood(ByteBuf buf, Port except, Port[] ports, long offload) {
        int copies = 0;
        for (Port p : ports) {
            if (!p.sameSide(except)) {
                copies++;
            }
        }
        if (copies == 0) {
            drop(buf, frame.inPort(), DropReason.NO_OTHER_PORT);
            return;
        }
        flooded++;
        // One buffer, one reference per egress port: the frame is not copied, and no port modifies it.
        if (copies > 1) {
            buf.retain(copies - 1);
        }
        for (Port p : ports) {
            if (!p.sameSide(except)) {
                send(p, buf, offload);
            }
        }
    }

    private void drop(ByteBuf buf, Port in, DropReason reason) {
        drop(buf, in, reason, null);
    }

    private void drop(ByteBuf buf, Port in, DropReason reason, String detail) {
        dropped++;
        in.counters().drop(reason);
        if (dropCaptures != null) {
            Captures.offer(dropCaptures, in.id(), in.name(), Capture.DROPS, buf, reason, detail, now);
        }
        buf.release();
    }

    private void offerOnSend(Port out, ByteBuf buf) {
        Capture[] captures = attachments.captures(out);
        if (captures != null) {
            // Ports are seen from outside the bridge: what the bridge sends to the router's port comes in to the router.
            Captures.offer(captures, out.id(), out.name(), out instanceof DevicePort ? Capture.OUT : Capture.IN, buf,
                    null, null, now);
        }
    }

    /** Passes one reference of {@code buf} to {@code out}; never throws (a failure costs this port's copy only). */
    private void send(Port to, ByteBuf buf, long offload) {
        offerOnSend(to, buf);
        if (!(to instanceof DevicePort out)) {
            // An edge inside the dataplane (the router on a bridge): its stages run next, no device write.
            to.counters().tx(buf.readableBytes());
            inject(to, attachments.ingress(to), buf, offload);
            return;
        }
        // Port.enqueue's contract: a port that throws did not take the reference (released by enqueueFailed).
        if (out.acceptsOffloads()) {
            try {
                out.enqueue(buf, offload);
            } catch (RuntimeException e) {
                enqueueFailed(out, buf, e);
            }
        } else if ((offload & (Offload.NEEDS_CSUM | Offload.GSO_MASK)) != 0) {
            sendInSoftware(out, buf, offload);
        } else {
            try {
                out.enqueue(buf);
            } catch (RuntimeException e) {
                enqueueFailed(out, buf, e);
            }
        }
        markFlushPending(out);
    }

    private void enqueueFailed(DevicePort out, ByteBuf buf, RuntimeException e) {
        internalError(out, buf, "port " + out.name() + " threw when sent a frame", e);
    }

    /** A frame built in software (a segment, a completed copy) to a port without offloads; never throws. */
    private void enqueuePlain(DevicePort out, ByteBuf buf) {
        try {
            out.enqueue(buf);
        } catch (RuntimeException e) {
            enqueueFailed(out, buf, e);
        }
    }

    /**
     * An offloaded frame for a port that cannot take it: segmented (a super-frame) or its checksum completed, in
     * buffers of its own when the frame is shared with other ports (a flood), so theirs stays as it was. Takes one
     * reference of {@code buf}; never throws.
     */
    private void sendInSoftware(DevicePort out, ByteBuf buf, long offload) {
        softwareOffloads++;
        if (Offload.isGso(offload)) {
            try {
                int n = SoftwareOffload.segment(buf, buf.readerIndex(), buf.readableBytes(), offload, this::allocate,
                        s -> enqueuePlain(out, s));
                if (n < 0) {
                    out.counters().drop(DropReason.OFFLOAD_UNSUPPORTED);
                }
            } catch (RuntimeException e) {
                internalError(out, null, "segmenting a super-frame for port " + out.name() + " threw", e);
            } finally {
                buf.release(); // segments are copies: the super-frame is done with either way
            }
            return;
        }
        ByteBuf own = buf;
        try {
            if (buf.refCnt() > 1) {
                own = copy(buf);
                buf.release();
            }
            SoftwareOffload.completeChecksum(own, own.readerIndex(), own.readableBytes(), offload);
        } catch (RuntimeException e) {
            internalError(out, own, "completing a checksum for port " + out.name() + " threw", e);
            return;
        }
        enqueuePlain(out, own);
    }

    /** A copy of the frame in {@code buf} in a buffer of its own; nothing is kept when it throws. */
    private ByteBuf copy(ByteBuf buf) {
        ByteBuf copy = allocate(buf.readableBytes());
        try {
            copy.writeBytes(buf, buf.readerIndex(), buf.readableBytes());
            return copy;
        } catch (RuntimeException e) {
            copy.release();
            throw e;
        }
    }

    /** Remembers to flush {@code out} at the end of the batch (once, however many frames were queued on it). */
    private void markFlushPending(DevicePort out) {
        int id = out.id();
        if (id >= flushPending.length) {
            flushPending = Arrays.copyOf(flushPending, Math.max(id + 1, flushPending.length * 2));
        }
        if (flushPending[id]) {
            return;
        }
        flushPending[id] = true;
        if (toFlushCount == toFlush.length) {
            toFlush = Arrays.copyOf(toFlush, toFlush.length * 2);
        }
        toFlush[toFlushCount++] = out;
    }

    @Override
    public void endBatch() {
        runInjected(); // frames timers injected outside a receive
        for (int i = 0; i < toFlushCount; i++) {
            DevicePort p = toFlush[i];
            toFlush[i] = null;
            flushPending[p.id()] = false;
            try {
                p.flush();
            } catch (RuntimeException e) {
                internalError(p, null, "port " + p.name() + " threw when flushed", e); // the others still flush
            }
        }
        toFlushCount = 0;
    }

    /** On the loop: starts feeding dropped frames, with their reasons, to {@code c}. */
    public void addDropCapture(Capture c) {
        dropCaptures = Captures.with(dropCaptures, c);
    }

    /** On the loop: stops feeding dropped frames to {@code c}. */
    public void removeDropCapture(Capture c) {
        dropCaptures = Captures.without(dropCaptures, c);
    }

    /** On the loop: traces frames' decisions into {@code t} (null: stops). One trace at a time. */
    public void setTrace(DecisionTrace t) {
        trace = t;
    }

    /** The decision trace on, or null. */
    public DecisionTrace trace() {
        return trace;
    }

    /** Frames received. */
    public long received() {
        return received;
    }

    /** Frames sent to one port. */
    public long forwarded() {
        return forwarded;
    }

    /** Frames flooded (counted once, however many ports they went to). */
    public long flooded() {
        return flooded;
    }

    /** Frames dropped at ingress. */
    public long dropped() {
        return dropped;
    }

    /** Frames taken over by a stage. */
    public long consumed() {
        return consumed;
    }

    /** Frames handled by the dataplane itself and released. */
    public long local() {
        return local;
    }

    /** Frames stages or timers injected (each also counted in {@link #received}). */
    public long injected() {
        return injected;
    }

    /** Injections refused by the per-frame limit. */
    public long injectionDrops() {
        return injectionDrops;
    }

    /** Offloaded frames segmented or checksummed in software for a port that could not take them. */
    public long softwareOffloads() {
        return softwareOffloads;
    }

    /**
     * Exceptions caught on this pipeline's frames outside a stage (a capture's aside): each cost a frame, or one
     * port's copy of it, counted as {@code internal-error} on that port.
     */
    public long internalErrors() {
        return internalErrorCount;
    }
}
