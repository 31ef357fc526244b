package dev.vnet.dataplane.port;

import java.util.concurrent.locks.LockSupport;

/**
 * Receive moderation, as a NIC's adaptive interrupt coalescing: after a read batch that spent its whole read budget
 * (the device still had frames waiting: a backlog, not a burst) the loop pauses {@link #NANOS} before it reads
 * again, so that under load the next batches stay full and each burst written to the receiving devices is big. A
 * batch that emptied the device (a ping, a TCP super-frame, a short burst) never waits.
 *
 * <p>Why: with unpaced 64-byte UDP between two namespaces on two cores, vnet came back for every few frames and
 * wrote them at once, and the receiving process woke for each small burst (about 5 packets per wake-up, against 26
 * beside Open vSwitch, whose main loop comes back less often). With this pause vnet delivered 139-141 kpps against
 * 100-103 without (Open vSwitch: 112-115). Pausing after any batch of 8 frames or more gained as much on UDP but
 * cost four TCP streams 12-15 %; after a full budget only, TCP was as without (docs/benchmarks.md, 2026-12-06). The pause is {@code -Dvnet.rxModerationMicros} (default 20; 0 turns
 * it off), the batch that counts as a backlog {@code -Dvnet.rxModerationFrames} (default: the read budget).
 */
final class RxModeration {
    /** Frames in one read batch from which the loop pauses after it; 0: the queue's read budget. */
    static final int FRAMES = Integer.getInteger("vnet.rxModerationFrames", 0);
    /** How long it pauses (the kernel's timer slack, 50 us by default, comes on top). */
    static final long NANOS = Long.getLong("vnet.rxModerationMicros", 20) * 1000;

    private RxModeration() {
    }

    /** After a read batch of {@code frames} out of a budget of {@code budget}: pauses when it shows a backlog. */
    static void after(int frames, int budget) {
        if (NANOS > 0 && frames >= (FRAMES > 0 ? FRAMES : budget)) {
            LockSupport.parkNanos(NANOS);
        }
    }
}
