package dev.vnet.dataplane.trace;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;

import java.util.Arrays;

/** Helpers for the copy-on-write capture arrays the pipeline reads per frame (null means none, so off costs a test). */
public final class Captures {
    private Captures() {
    }

    /** {@code list} with {@code c} added. */
    public static Capture[] with(Capture[] list, Capture c) {
        if (list == null) {
            return new Capture[] {c};
        }
        Capture[] out = Arrays.copyOf(list, list.length + 1);
        out[list.length] = c;
        return out;
    }

    /** {@code list} without {@code c}; null when nothing is left. */
    public static Capture[] without(Capture[] list, Capture c) {
        if (list == null) {
            return null;
        }
        Capture[] out = Arrays.stream(list).filter(x -> x != c).toArray(Capture[]::new);
        return out.length == 0 ? null : out;
    }

    /**
     * Offers a frame seen on port {@code port} (named {@code name}) to each capture of {@code list} that wants
     * direction {@code d} ({@code why} and {@code detail}: a drop's reason and what decided it, else null). A capture that throws (its filter failed) is failed and takes no more frames; the frame
     * and the other captures go on.
     */
    public static void offer(Capture[] list, int port, String name, int d, ByteBuf buf, DropReason why, String detail,
                             long nanos) {
        for (Capture c : list) {
            if (c.wants(d)) {
                try {
                    c.offer(port, name, d, buf, why, detail, nanos);
                } catch (RuntimeException e) {
                    c.fail("it threw on a frame of port " + name + ": " + e);
                }
            }
        }
    }
}
