package dev.vnet.dataplane.pipeline;

/**
 * One decision in the stage graph (bridge input, learn, forward; the router's input, tracking, routing, NAT).
 *
 * <p>A stage looks at and may rewrite the frame, then either returns the next stage to run or records a terminal
 * outcome on the frame ({@link Frame#forward}, {@link Frame#flood}, {@link Frame#drop}, {@link Frame#consume}, which all
 * return null) and returns null. Stages never do I/O and never release the buffer: the {@link Pipeline} does both.
 * A stage must not throw for any input; the pipeline still catches what escapes and counts it as an internal error.
 *
 * <p>Every stage runs through {@link #run}, whether the pipeline's loop calls it or a stage that was given its
 * successor by the graph's builder calls that one directly (a call the JIT inlines, where the loop's call is an
 * indirect one: 10 % of a routed frame). {@code run} is where a decision trace records the step, so tracing needs
 * no second path through the stages: a stage adds what it decided with {@link Frame#note} while it decides.
 *
 * <p>An abstract class, not an interface: the pipeline's call to whichever stage comes next is then a virtual call
 * through the class's method table, where an interface call goes through an itable stub that searches the class's
 * interfaces (2-3 ns of a routed frame, measured with RouterPathBenchmark).
 */
public abstract class Stage {
    /** Runs this stage on {@code frame} (a step of its decision trace, when it has one); returns what comes next. */
    public final Stage run(Frame frame) {
        if (frame.traced()) {
            frame.trace().enter(this, frame.buf());
        }
        return process(frame);
    }

    /** Decides for {@code frame}; returns the next stage, or null once a terminal outcome is set. */
    protected abstract Stage process(Frame frame);

    /** The stage's name in a decision trace: its class's, unless one class serves as several stages. */
    public String name() {
        String name = getClass().getSimpleName();
        return name.isEmpty() ? getClass().getName() : name;
    }
}
