package dev.vnet.dataplane.pipeline;

/**
 * One decision in the stage graph (bridge input, learn, forward, and later ARP, routing, NAT).
 *
 * <p>A stage looks at and may rewrite the frame, then either returns the next stage to run or records a terminal
 * outcome on the frame ({@link Frame#forward}, {@link Frame#flood}, {@link Frame#drop}, {@link Frame#consume}, which all
 * return null) and returns null. Stages never do I/O and never release the buffer: the {@link Pipeline} does both.
 * A stage must not throw for any input; the pipeline still catches what escapes and counts it as an internal error.
 */
@FunctionalInterface
public interface Stage {
    /** Decides for {@code frame}; returns the next stage, or null once a terminal outcome is set. */
    Stage process(Frame frame);

    /**
     * For a decision trace only (never on the per-frame path): right after {@link #process}, a few words on what
     * this stage decided for {@code frame} ("route 0.0.0.0/0 via 192.168.1.3 dev uplink"), or null for nothing
     * beyond its name.
     */
    default String explain(Frame frame) {
        return null;
    }
}
