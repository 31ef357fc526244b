package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;

/**
 * Entry for frames the router builds and injects (ICMP errors, replies, fragments): they are untagged, so the IPv4
 * header follows Ethernet's; they are routed by {@link Ipv4Output}. The stages that inject are built before it, so
 * this is the one edge of the graph set after construction ({@link #then}), closing the loop through the inject queue.
 */
final class LocalOutput extends Stage {
    private Ipv4Output next;

    /** Sets the stage that routes what enters here (once, by the graph's builder). */
    void then(Ipv4Output output) {
        if (next != null) {
            throw new IllegalStateException("LocalOutput is already connected");
        }
        this.next = output;
    }

    @Override
    protected Stage process(Frame frame) {
        frame.setL3Offset(frame.start() + Ethernet.HEADER_LEN);
        return next.run(frame);
    }
}
