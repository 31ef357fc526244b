package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.port.Port;

/**
 * The router's edge on a bridge (VPP calls it a BVI): a member of the bridge like any other, whose MAC is the router
 * interface's, but not a device. A frame the bridge sends to it goes on through the router's stages for that
 * interface (the stage the pipeline's {@code Attachments} give it), in the same pass; what the router sends into
 * the bridge enters from it.
 */
public final class RouterPort extends Port {
    /** A router edge with the given id and name. */
    public RouterPort(int id, String name) {
        super(id, name);
    }
}
