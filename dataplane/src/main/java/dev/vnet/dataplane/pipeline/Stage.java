package dev.vnet.dataplane.pipeline;

/**
 * One decision in the stage graph (bridge input, learn, forward, and later ARP, routing, NAT).
 *
 * <p>A stage looks at and may rewrite the frame, then either returns the next stage to run or records a terminal
 * outcome on the frame ({@link Frame#forward}, {@link Frame#flood}, {@link Frame#drop}, {@link Frame#consume}, which all
 * return null) and returns null. Stages never do I/O and never release the buffer: the {@link Pipeline} does both.
 * A stage must not throw for any input; the pipeline still catches what escapes and counts it as an internal error.
 *
 * <p>An abstract class, not an interface: the pipeline's call to whichever stage comes next is then a virtual call
 * through the class's method table, where an interface call goes through an itable stub that searches the class's
 * interfaces (2-3 ns of a routed frame, measured with RouterPathBenchmark).
 */
public abstract class Stage {
    /** Decides for {@code frame}; returns the next stage, or null once a terminal outcome is set. */
    public abstract Stage process(Frame frame);

    /**
     * For a decision trace only (never on the per-frame path): right after {@link #process}, a few words on what
     * this stage decided for {@code frame} ("route 0.0.0.0/0 via 192.168.1.3 dev uplink"), or null for nothing
     * beyond its name.
     */
    public String explain(Frame frame) {
        return null;
    }

    /**
     * True for a stage where a frame the dataplane held goes on (a fragment that waited for its datagram's first):
     * the frame was captured when it came in, so the pipeline does not capture it again when it resumes.
     */
    public boolean resumesHeldFrame() {
        return false;
    }
}
