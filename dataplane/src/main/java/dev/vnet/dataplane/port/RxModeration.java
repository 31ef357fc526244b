package dev.vnet.dataplane.port;

import java.util.concurrent.locks.LockSupport;

/**
 * Receive moderation, as a NIC's adaptive interrupt coalescing: after a read batch of at least {@link #FRAMES} frames
 * (a backlog: the device had more than one frame waiting) the loop pauses {@link #NANOS} before it reads again, so
 * that under load the next batch is bigger and each burst written to the receiving devices is too. A lone frame (a
 * ping, a TCP super-frame) reads a batch of one and never waits.
 *
 * <p>Why: with unpaced 64-byte UDP between two namespaces on two cores, vnet came back for every few frames and
 * wrote them at once, and the receiving process woke for each small burst (about 5 packets per wake-up, against 26
 * beside Open vSwitch, whose main loop comes back less often). With this pause vnet delivered 141 kpps against
 * 103 without (Open vSwitch: 112), with TCP and ping unchanged (docs/benchmarks.md, 2026-12-06). The pause is
 * {@code -Dvnet.rxModerationMicros} (default 20; 0 turns it off), the threshold {@code -Dvnet.rxModerationFrames}
 * (default 8).
 */
final class RxModeration {
    /** Frames in one read batch from which the loop pauses after it. */
    static final int FRAMES = Integer.getInteger("vnet.rxModerationFrames", 8);
    /** How long it pauses (the kernel's timer slack, 50 us by default, comes on top). */
    static final long NANOS = Long.getLong("vnet.rxModerationMicros", 20) * 1000;

    private RxModeration() {
    }

    /** After a read batch of {@code frames}: pauses the loop when that batch shows a backlog. */
    static void after(int frames) {
        if (NANOS > 0 && frames >= FRAMES) {
            LockSupport.parkNanos(NANOS);
        }
    }
}
