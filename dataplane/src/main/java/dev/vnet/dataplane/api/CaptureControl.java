package dev.vnet.dataplane.api;

import dev.vnet.dataplane.pipeline.Pipeline;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.trace.Capture;
import dev.vnet.dataplane.trace.CaptureFilter;
import dev.vnet.dataplane.trace.DecisionTrace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dataplane's captures and decision traces: hooking them on ports and pipelines and off again, at the loops'
 * barrier, and the list of them the API shows, failed ones included. {@link Dataplane}'s capture methods, split off
 * it; documented there.
 */
final class CaptureControl {
    private static final Logger log = LoggerFactory.getLogger(Dataplane.class);
    /** Captures that ended because they failed, kept to be listed: at most this many, the newest. */
    private static final int FAILED_CAPTURES_KEPT = 16;

    private final Dataplane dp;
    private final Map<Capture, List<Port>> captures = new LinkedHashMap<>();
    private final ArrayDeque<CaptureEntry> failedCaptures = new ArrayDeque<>();
    private int nextCaptureId = 1;

    CaptureControl(Dataplane dp) {
        this.dp = dp;
    }

    Capture startCapture(List<String> portNames, int mask, CaptureFilter filter, int slots, int snapLength) {
        return dp.call(() -> {
            List<Port> chosen = new ArrayList<>();
            boolean all = portNames.isEmpty() || portNames.contains("all");
            for (String name : all ? List.copyOf(dp.ports.keySet()) : portNames) {
                Port p = dp.ports.get(name);
                if (p == null) {
                    throw new IllegalArgumentException("no port '" + name + "' (ports: "
                            + String.join(", ", dp.ports.keySet()) + ")");
                }
                chosen.add(p);
            }
            Capture c = new Capture(nextCaptureId++, mask, filter, slots, snapLength);
            if ((mask & (Capture.IN | Capture.OUT)) != 0) {
                chosen.forEach(p -> dp.attachments.addCapture(p, c));
            }
            if ((mask & Capture.DROPS) != 0) {
                for (Pipeline p : dp.pipelines) {
                    p.addDropCapture(c);
                }
            }
            captures.put(c, chosen);
            log.info("capture {} started on {} ({}{}{}) filter '{}'", c.id(), all ? "all ports" : portNames,
                    (mask & Capture.IN) != 0 ? "in " : "", (mask & Capture.OUT) != 0 ? "out " : "",
                    (mask & Capture.DROPS) != 0 ? "drops" : "", filter == CaptureFilter.ALL ? "" : filter);
            return c;
        });
    }

    void stopCapture(Capture c) {
        c.stop();
        if (dp.loops.isShuttingDown()) {
            return; // close() ended it
        }
        dp.call(() -> {
            List<Port> on = captures.remove(c);
            if (on != null) {
                on.forEach(p -> dp.attachments.removeCapture(p, c));
                for (Pipeline p : dp.pipelines) {
                    p.removeDropCapture(c);
                }
                if (c.failure() != null) {
                    failedCaptures.addLast(describe(c, on));
                    if (failedCaptures.size() > FAILED_CAPTURES_KEPT) {
                        failedCaptures.removeFirst();
                    }
                    log.error("capture {} failed and was stopped: {} ({} frames captured)", c.id(), c.failure(),
                            c.captured());
                } else {
                    log.info("capture {} stopped: {} frames captured, {} lost because the reader was too slow",
                            c.id(), c.captured(), c.ringFull());
                }
                c.filter().free();
            }
            return null;
        });
    }

    DecisionTrace startTrace(CaptureFilter filter, long count) {
        DecisionTrace t = new DecisionTrace(filter, count);
        return dp.call(() -> {
            if (dp.pipeline.trace() != null) {
                throw new IllegalStateException("a decision trace is already running; one at a time");
            }
            for (Pipeline p : dp.pipelines) {
                p.setTrace(t);
            }
            log.info("decision trace started for {} frames, filter '{}'", count,
                    filter == CaptureFilter.ALL ? "" : filter);
            return t;
        });
    }

    void stopTrace(DecisionTrace t) {
        t.stop();
        if (dp.loops.isShuttingDown()) {
            return;
        }
        dp.call(() -> {
            if (dp.pipeline.trace() == t) {
                for (Pipeline p : dp.pipelines) {
                    p.setTrace(null);
                }
                t.filter().free();
                log.info("decision trace stopped");
            }
            return null;
        });
    }

    List<CaptureEntry> captures() {
        return dp.call(() -> {
            List<CaptureEntry> out = new ArrayList<>();
            captures.forEach((c, on) -> out.add(describe(c, on)));
            out.addAll(failedCaptures);
            return out;
        });
    }

    private static CaptureEntry describe(Capture c, List<Port> on) {
        return new CaptureEntry(c.id(), on.stream().map(Port::name).toList(),
                c.filter() == CaptureFilter.ALL ? "" : c.filter().toString(), c.captured(), c.ringFull(),
                c.failure());
    }

    /** At the barrier, when the dataplane closes: every capture stopped and its filter freed. */
    void closeAll() {
        captures.keySet().forEach(c -> {
            c.stop();
            c.filter().free();
        });
        captures.clear();
    }
}
