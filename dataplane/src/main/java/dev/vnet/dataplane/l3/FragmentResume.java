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
    private final Router router;
    private final RouterInterface iface;

    FragmentResume(Router router, RouterInterface iface) {
        this.router = router;
        this.iface = iface;
    }

    @Override
    public Stage process(Frame frame) {
        frame.setInInterface(iface.index());
        frame.setL3Offset(frame.start() + Ethernet.HEADER_LEN);
        return router.conntrackIn.resumeHeldFragment(frame);
    }

    @Override
    public boolean resumesHeldFrame() {
        return true;
    }

    @Override
    public String explain(Frame frame) {
        return "a fragment that waited for its datagram's first fragment, resumed on " + iface.name();
    }
}
