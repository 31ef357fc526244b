package dev.vnet.dataplane.pipeline;

import dev.vnet.dataplane.port.DevicePort;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.trace.DecisionTrace;
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
     * The pass is decided: its entry ({@code entry} and the port {@code in}), its steps and the frame's outcome go to
     * decision trace {@code trace} as trace {@code number}; a frame that goes on inside the dataplane (to the
     * router's edge on a bridge) is followed there under the same number.
     */
    void finish(DecisionTrace trace, int number, Port in, String entry, Frame frame, ByteBuf buf) {
        DecisionTrace.Steps out = new DecisionTrace.Steps();
        boolean gone = frame.verdict() == Verdict.CONSUMED;
        out.add(entry + in.name() + ": " + arrived);
        String received = entry.startsWith("in ") ? in.describeReceived() : null;
        if (received != null) {
            out.add("  " + received);
        }
        for (String line : lines(gone ? null : TupleView.of(buf), gone)) {
            out.add(line);
        }
        switch (frame.verdict()) {
            case FORWARD -> {
                Port to = frame.outPort();
                boolean inside = !(to instanceof DevicePort);
                out.add("=> forward to " + to.name() + (inside ? " (inside vnet: continues there)" : ""));
                addSend(out, to, frame, buf);
                if (inside) {
                    trace.follow(buf, number);
                }
            }
            case FLOOD -> {
                StringBuilder to = new StringBuilder();
                List<Port> sentTo = new ArrayList<>();
                for (Port p : frame.floodPorts()) {
                    if (!p.sameSide(frame.l2InPort())) {
                        sentTo.add(p);
                        to.append(to.length() == 0 ? "" : ", ").append(p.name());
                        if (!(p instanceof DevicePort)) {
                            trace.follow(buf, number); // one buffer for every copy: the router's copy continues
                        }
                    }
                }
                out.add("=> flood to " + (to.length() == 0 ? "no other port" : to));
                for (Port p : sentTo) {
                    addSend(out, p, frame, buf);
                }
            }
            case CONSUMED -> out.add("=> held by the dataplane (the step above says why)");
            case LOCAL -> out.add("=> for vnet itself (answered or handled locally)");
            default -> out.add("=> drop: " + frame.dropReason().label()
                    + (frame.dropDetail() == null ? "" : " by " + frame.dropDetail()));
        }
        trace.finish(number, in.name(), out);
    }

    /** What sending the frame out of {@code to} involves beyond the port's name (a tunnel's encapsulation). */
    private static void addSend(DecisionTrace.Steps out, Port to, Frame frame, ByteBuf buf) {
        if (frame.verdict() == Verdict.CONSUMED) {
            return;
        }
        String how = to.describeSend(buf);
        if (how != null) {
            out.add("  " + to.name() + ": " + how);
        }
    }

    /**
     * The steps as lines, each stage with its note and, where the frame's addresses or ports changed before the next
     * stage (or before the end, {@code finalTuple}), the rewrite. {@code finalTuple} is null when the frame's buffer
     * is no longer the pipeline's to read (a stage took it over).
     */
    private List<String> lines(String finalTuple, boolean bufferGone) {
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
