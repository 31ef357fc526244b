package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;

/**
 * Where a fragment that waited for its datagram's first fragment ({@link FragmentTable}) goes on, once that first
 * was recorded: back into connection tracking as if it had just come in by its interface, its headers checked then
 * and unchanged since. It is not held a second time.
 */
final class FragmentResume extends Stage {
    private final RouterInterface iface;
    private final ConntrackIn conntrack;

    FragmentResume(RouterInterface iface, ConntrackIn conntrack) {
        this.iface = iface;
        this.conntrack = conntrack;
    }

    @Override
    protected Stage process(Frame frame) {
        frame.setInInterface(iface.index());
        frame.setL3Offset(frame.start() + Ethernet.HEADER_LEN);
        if (frame.traced()) {
            frame.note("a fragment that waited for its datagram's first fragment, resumed on " + iface.name());
        }
        return conntrack.resumed.run(frame);
    }

}
