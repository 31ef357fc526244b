package dev.vnet.dataplane.trace;

import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A decision trace: for the next {@code count} frames the filter takes, the path through the stages, one step per
 * line (like VPP's {@code trace add}, but filtered, and without a fixed buffer: finished traces go to a reader as they
 * complete). A frame that continues inside the dataplane (handed from a bridge to the router) keeps its trace number.
 * The pipeline only looks at a trace when one is on; the work here (strings, a copy of the frame's head for the filter)
 * is paid by traced frames alone. The loop never waits for the reader: traces it cannot queue are counted as lost.
 * What the loops call is synchronized: with several event loops, each may trace a frame.
 */
public final class DecisionTrace {
    private static final int QUEUE = 1024;
    private static final int FILTER_BYTES = 256;

    private final CaptureFilter filter;
    private final AtomicLong remaining;
    private final BlockingQueue<String> done = new ArrayBlockingQueue<>(QUEUE);
    private final Map<ByteBuf, Integer> following = new IdentityHashMap<>();
    private final byte[] head = new byte[FILTER_BYTES];
    private final AtomicLong lost = new AtomicLong();
    private int nextNumber = 1;
    private volatile boolean stopped;

    /** Traces the next {@code count} frames {@code filter} takes. */
    public DecisionTrace(CaptureFilter filter, long count) {
        if (count < 1) {
            throw new IllegalArgumentException("trace count must be at least 1, got " + count);
        }
        this.filter = filter;
        this.remaining = new AtomicLong(count);
    }

    /**
     * On the loop, for a frame about to run: its trace number, or 0 when it is not traced. A frame continuing a traced
     * one keeps that one's number; a new frame is traced if the filter takes it and the count is not used up.
     */
    public synchronized int begin(ByteBuf buf) {
        Integer continued = following.remove(buf);
        if (continued != null) {
            return continued;
        }
        if (stopped || remaining.get() <= 0) {
            return 0;
        }
        int wire = buf.readableBytes();
        int n = Math.min(wire, FILTER_BYTES);
        buf.getBytes(buf.readerIndex(), head, 0, n);
        if (!filter.matches(head, n, wire)) {
            return 0;
        }
        remaining.decrementAndGet();
        return nextNumber++;
    }

    /** On the loop: the frame in {@code buf} goes on inside the dataplane (a port's stages run next). */
    public synchronized void follow(ByteBuf buf, int number) {
        following.put(buf, number);
    }

    /** A trace being written for one frame's pass through the stages. */
    public static final class Steps {
        private final List<String> lines = new ArrayList<>();

        /** Adds a step. */
        public void add(String line) {
            lines.add(line);
        }
    }

    /** On the loop: a pass that began at port {@code in} finished; hands its lines to the reader (or counts them lost). */
    public synchronized void finish(int number, String in, Steps steps) {
        StringBuilder sb = new StringBuilder();
        sb.append("trace ").append(number).append(" at ").append(in).append('\n');
        for (String line : steps.lines) {
            sb.append("  ").append(line).append('\n');
        }
        if (!done.offer(sb.toString())) {
            lost.incrementAndGet();
        }
    }

    /** On the reader: the next finished trace, waiting up to {@code millis}; null if none. */
    public String poll(long millis) throws InterruptedException {
        return done.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** True when every frame asked for has been traced (and continuations may still come). */
    public boolean countReached() {
        return remaining.get() <= 0;
    }

    /** Traces the reader was too slow to take. */
    public long lost() {
        return lost.get();
    }

    /** Stops tracing new frames. */
    public void stop() {
        stopped = true;
    }

    /** The filter, freed by the loop when the trace is unhooked. */
    public CaptureFilter filter() {
        return filter;
    }
}
