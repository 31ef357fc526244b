package dev.vnet.dataplane.pipeline;

/** What the pipeline does with a frame once the stages are done with it. */
public enum Verdict {
    /** Still being decided: a stage has not yet reached a terminal outcome. */
    PENDING,
    /** Send out of {@link Frame#outPort()}. */
    FORWARD,
    /** Send out of every port in {@link Frame#floodPorts()} except the ingress port. */
    FLOOD,
    /** Release, counting {@link Frame#dropReason()} on the ingress port. */
    DROP,
    /** Handled by the dataplane itself (an ARP request answered, an echo request turned into a reply elsewhere, a
     *  packet for the router that needs no answer); the pipeline releases the buffer. */
    LOCAL,
    /** A stage took the buffer (a reply built in place and sent, a frame queued for later); the pipeline lets go. */
    CONSUMED
}
