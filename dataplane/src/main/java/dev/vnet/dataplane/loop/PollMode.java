package dev.vnet.dataplane.loop;

import java.util.Locale;

/** How an event loop waits for frames: sleeping in epoll, polling while traffic flows, or polling always. */
public enum PollMode {
    /** Sleeps in epoll_wait whenever nothing is ready: no CPU when idle, a wakeup (tens of us) per quiet gap. */
    SLEEP,
    /**
     * Keeps polling for {@link #ADAPTIVE_WINDOW_MICROS} us after the last ready event, then sleeps: under steady
     * traffic the loop is not put to sleep and woken for every frame; a busy loop keeps its core at 100 %, an idle
     * one costs nothing.
     */
    ADAPTIVE,
    /**
     * Polls epoll without ever sleeping (Netty's busy wait): no wakeup per frame, one core at 100 % per loop, always;
     * it needs a core to spare for each loop.
     */
    BUSY;

    /**
     * How long an adaptive loop keeps polling after its last ready event. Measured with vnet bench (one TCP stream,
     * two loops): 20 us gained nothing, 50 and 100 us the most, 200 us less with four streams (the polling took CPU
     * from the others). A TCP stream's 64 KiB super-frames arrive every 30-50 us.
     */
    public static final int ADAPTIVE_WINDOW_MICROS = 50;

    /** The name on the command line and in results: sleep, adaptive, busy. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The mode named {@code name} (sleep, adaptive, busy); a clear error for any other. */
    public static PollMode parse(String name) {
        for (PollMode m : values()) {
            if (m.cliName().equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("poll mode '" + name + "' is not one of sleep, adaptive, busy");
    }
}
