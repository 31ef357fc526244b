package dev.vnet.dataplane.pipeline;

import dev.vnet.dataplane.trace.TupleView;
import io.netty.buffer.ByteBuf;

import java.util.ArrayList;
import java.util.List;

/**
 * One traced frame's pass through the stages, recorded while they run (as VPP's nodes add trace records): a step per
 * stage, with the frame's addresses and ports as that stage found them and what the stage noted of its decision.
 * Made only for a frame a decision trace takes; untraced frames have none and pay one flag test per stage.
 */
public final class StageTrace {
    private final String arrived;
    private final List<String> names = new ArrayList<>();
    private final List<String> tuples = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    StageTrace(String arrived) {
        this.arrived = arrived;
    }

    /** The frame as it arrived, summarised before any stage ran. */
    String arrived() {
        return arrived;
    }

    /** A stage starts on the frame in {@code buf}. */
    void enter(Stage stage, ByteBuf buf) {
        names.add(stage.name());
        tuples.add(TupleView.of(buf));
        notes.add(null);
    }

    /** What the running stage decided ("route 0.0.0.0/0 via 192.168.1.3 dev uplink"); a second note adds to it. */
    void note(String text) {
        int last = notes.size() - 1;
        if (last >= 0) {
            String before = notes.get(last);
            notes.set(last, before == null ? text : before + "; " + text);
        }
    }

    /**
     * The steps as lines, each stage with its note and, where the frame's addresses or ports changed before the next
     * stage (or before the end, {@code finalTuple}), the rewrite. {@code finalTuple} is null when the frame's buffer
     * is no longer the pipeline's to read (a stage took it over).
     */
    List<String> lines(String finalTuple, boolean bufferGone) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String note = notes.get(i);
            lines.add(names.get(i) + (note == null ? "" : ": " + note));
            String before = tuples.get(i);
            String after = i + 1 < names.size() ? tuples.get(i + 1) : bufferGone ? before : finalTuple;
            if (before != null && after != null && !before.equals(after)) {
                lines.add("  rewritten: " + before + "  =>  " + after);
            }
        }
        return lines;
    }
}
