package dev.vnet.dataplane.pipeline;

import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.trace.Capture;
import dev.vnet.dataplane.trace.Captures;

import java.util.Arrays;

/**
 * What the pipeline keeps per port, by port id, so that a {@link Port} does I/O only: the stage its frames enter
 * (a bridge's input, a router interface's) and the captures that watch it. One per dataplane, read by every loop's
 * pipeline per frame without locks; changed only at the loops' barrier (a port joining a bridge, a capture
 * starting), as the stages' own configuration is. A port without an entry is attached to nothing.
 */
public final class Attachments {
    private Stage[] ingress = new Stage[16];
    private Capture[][] captures = new Capture[16][];

    /** The stage frames from {@code port} enter, or null when it is attached to nothing. */
    public Stage ingress(Port port) {
        Stage[] in = ingress;
        int id = port.id();
        return id < in.length ? in[id] : null;
    }

    /** At the barrier: frames from {@code port} enter {@code stage} (null: the port is attached to nothing). */
    public void setIngress(Port port, Stage stage) {
        grow(port.id());
        ingress[port.id()] = stage;
    }

    /** The captures watching {@code port}, or null when none (the only cost of captures when none is on). */
    public Capture[] captures(Port port) {
        Capture[][] all = captures;
        int id = port.id();
        return id < all.length ? all[id] : null;
    }

    /** At the barrier: {@code capture} starts watching {@code port}. */
    public void addCapture(Port port, Capture capture) {
        grow(port.id());
        captures[port.id()] = Captures.with(captures[port.id()], capture);
    }

    /** At the barrier: {@code capture} stops watching {@code port}. */
    public void removeCapture(Port port, Capture capture) {
        if (port.id() < captures.length) {
            captures[port.id()] = Captures.without(captures[port.id()], capture);
        }
    }

    /** At the barrier: {@code port} is gone; its id keeps nothing. */
    public void forget(Port port) {
        if (port.id() < ingress.length) {
            ingress[port.id()] = null;
            captures[port.id()] = null;
        }
    }

    private void grow(int id) {
        if (id < 0) {
            throw new IllegalArgumentException("port id " + id + " is negative");
        }
        if (id >= ingress.length) {
            int n = Math.max(id + 1, ingress.length * 2);
            ingress = Arrays.copyOf(ingress, n);
            captures = Arrays.copyOf(captures, n);
        }
    }
}
