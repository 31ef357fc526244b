package dev.vnet.dataplane.pipeline;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.FrameSink;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.util.Clock;
import dev.vnet.dataplane.util.RateLimitedLog;
import io.netty.buffer.ByteBuf;
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
 * a drop. An exception from a stage is caught, the frame dropped as {@code internal-error} and the loop goes on.
 *
 * <p>Invariant (checked by tests): every frame received is forwarded, flooded, dropped or consumed exactly once.
 */
public final class Pipeline implements FrameSink {
    private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

    private final Frame frame = new Frame();
    private final Clock clock;
    private final RateLimitedLog internalErrors = new RateLimitedLog(log, TimeUnit.SECONDS.toNanos(1));
    private Port[] toFlush = new Port[16];
    private int toFlushCount;
    private long now;

    private long received;
    private long forwarded;
    private long flooded;
    private long dropped;
    private long consumed;

    /** A pipeline that reads {@code clock} once per batch. */
    public Pipeline(Clock clock) {
        this.clock = clock;
        this.now = clock.nanos();
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
    public void receive(Port in, ByteBuf buf) {
        received++;
        frame.reset(buf, in, now);
        Stage stage = in.ingress();
        if (stage == null) {
            frame.drop(DropReason.PORT_UNATTACHED);
        }
        try {
            while (stage != null) {
                stage = stage.process(frame);
            }
            if (frame.verdict() == Verdict.PENDING) {
                frame.drop(DropReason.INTERNAL_ERROR);
            }
        } catch (RuntimeException e) {
            frame.drop(DropReason.INTERNAL_ERROR);
            internalErrors.warn(now, "a stage threw on a frame from port " + in.name() + "; frame dropped: {}",
                    e.toString());
        }
        execute(buf, in);
        frame.clear();
    }

    private void execute(ByteBuf buf, Port in) {
        switch (frame.verdict()) {
            case FORWARD -> {
                forwarded++;
                send(frame.outPort(), buf);
            }
            case FLOOD -> flood(buf, in, frame.floodPorts());
            case CONSUMED -> consumed++;
            default -> drop(buf, in, frame.dropReason());
        }
    }

    private void flood(ByteBuf buf, Port in, Port[] ports) {
        int copies = 0;
        for (Port p : ports) {
            if (p != in) {
                copies++;
            }
        }
        if (copies == 0) {
            drop(buf, in, DropReason.NO_OTHER_PORT);
            return;
        }
        flooded++;
        // One buffer, one reference per egress port: the frame is not copied, and no port modifies it.
        if (copies > 1) {
            buf.retain(copies - 1);
        }
        for (Port p : ports) {
            if (p != in) {
                send(p, buf);
            }
        }
    }

    private void drop(ByteBuf buf, Port in, DropReason reason) {
        dropped++;
        in.counters().drop(reason);
        buf.release();
    }

    private void send(Port out, ByteBuf buf) {
        out.enqueue(buf);
        if (out.markFlushPending()) {
            if (toFlushCount == toFlush.length) {
                toFlush = Arrays.copyOf(toFlush, toFlush.length * 2);
            }
            toFlush[toFlushCount++] = out;
        }
    }

    @Override
    public void endBatch() {
        for (int i = 0; i < toFlushCount; i++) {
            Port p = toFlush[i];
            toFlush[i] = null;
            p.clearFlushPending();
            p.flush();
        }
        toFlushCount = 0;
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
}
