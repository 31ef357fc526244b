package dev.vnet.dataplane.port;

import dev.vnet.dataplane.loop.LoopThread;
import io.netty.buffer.ByteBuf;

/**
 * A place frames enter and leave a bridge or the router, with a dataplane-wide id, the name users know it by, and its
 * counters: a {@link DevicePort} (a TAP device, or an in-memory port in tests and replay), which does the I/O, or the
 * router's edge on a bridge ({@code l3.RouterPort}), where frames sent to it go on through the router's stages.
 *
 * <p>Where a port's frames enter the stage graph and which captures watch it are the pipeline's
 * ({@code pipeline.Attachments}), and so is the mark that a port has frames to flush. With several event loops every
 * loop sends and receives through the same port objects: what a loop writes per frame (counters) is kept per loop
 * ({@link LoopThread#currentIndex()}), and readers add the loops up ({@link #totals()}) while the loops are stopped
 * at a barrier.
 */
public abstract class Port {
    private final int id;
    private final String name;
    private final int splitHorizonGroup;
    private final boolean learning;
    private final PortCounters[] counters = new PortCounters[LoopThread.MAX_LOOPS]; // per loop, made on first use

    /** A port with a dataplane-wide unique {@code id} and a user-facing {@code name}. */
    protected Port(int id, String name) {
        this(id, name, 0, true);
    }

    /**
     * A port in split-horizon group {@code splitHorizonGroup} (0: none), whose frames' source MACs a bridge learns
     * when {@code learning}.
     */
    protected Port(int id, String name, int splitHorizonGroup, boolean learning) {
        this.id = id;
        this.name = name;
        this.splitHorizonGroup = splitHorizonGroup;
        this.learning = learning;
    }

    /**
     * True when a bridge must not send a frame that came in on {@code in} to this port: it is that port, or one of
     * the same split-horizon group (as VPP's bridge domains have them). The VXLAN tunnels of one VNI are one group,
     * so they act as the kernel's single vxlan device does on a bridge: what came from one remote VTEP never goes
     * to another.
     */
    public final boolean sameSide(Port in) {
        return in == this || (splitHorizonGroup != 0 && in != null && in.splitHorizonGroup == splitHorizonGroup);
    }

    /** False when a bridge must not learn source MACs from this port's frames (a tunnel with learning off). */
    public final boolean learning() {
        return learning;
    }

    /**
     * True for a port that leads to a tenant (a namespace's or the host's TAP, a test's in-memory host): what it sends
     * is not trusted to speak for the network, so a bridge drops router advertisements from it (RA guard, RFC 6105).
     * The router's own port and VXLAN tunnels (which carry a remote gateway's) are not tenants.
     */
    public boolean tenant() {
        return false;
    }

    /** Dataplane-wide unique id. */
    public final int id() {
        return id;
    }

    /** The name users know the port by (the namespace or interface it leads to). */
    public final String name() {
        return name;
    }

    /** The calling loop's counters of this port (written by that loop only). */
    public final PortCounters counters() {
        int loop = LoopThread.currentIndex();
        PortCounters c = counters[loop];
        if (c == null) {
            c = new PortCounters(); // once per loop and port, never per frame
            counters[loop] = c;
        }
        return c;
    }

    /** The counters of every loop added up; read while the loops are stopped (or from the only loop). */
    public final PortCounters totals() {
        PortCounters sum = new PortCounters();
        for (PortCounters c : counters) {
            if (c != null) {
                sum.add(c);
            }
        }
        return sum;
    }

    /**
     * What a decision trace says of a frame this port just received beyond its name, or null for nothing (a tunnel
     * says where the frame was decapsulated from).
     */
    public String describeReceived() {
        return null;
    }

    /** What a decision trace says of sending {@code frame} out of this port, or null for nothing (a tunnel's encapsulation). */
    public String describeSend(ByteBuf frame) {
        return null;
    }

        /** What the port is, for {@code vnet ports}: a router's edge unless a subclass says otherwise. */
    public String device() {
        return "router";
    }

    /** Releases what the port holds (a device, queued frames); a router edge holds nothing. Idempotent. */
    public void close() {
    }

    @Override
    public String toString() {
        return name;
    }
}
