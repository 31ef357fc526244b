package dev.vnet.control.cli;

import dev.vnet.control.lab.Lab;
import dev.vnet.dataplane.loop.PollMode;
import picocli.CommandLine.Option;

/** The options choosing how the dataplane's event loops wait for frames (a mixin of vnet up and vnet bench). */
final class PollOptions {
    @Option(names = "--poll", paramLabel = "MODE",
            description = "How the event loops wait for frames: 'sleep' (default) sleeps in epoll whenever nothing is "
                    + "ready, no CPU when idle; 'adaptive' keeps polling for " + PollMode.ADAPTIVE_WINDOW_MICROS
                    + " us after the last frame, so steady "
                    + "traffic is not slowed by a wakeup per frame, and a loop with traffic keeps its core at 100%%; "
                    + "'busy' never sleeps: no wakeup per frame, one core at 100%% per loop for as long as vnet runs, "
                    + "idle or not: the lowest round trips (on a 2-core machine, one busy loop: ping 25-47 us against "
                    + "55-58 with sleeping loops).")
    String poll;

    @Option(names = "--busy-poll", description = "The same as --poll=busy.")
    boolean busyPoll;

    /** The mode asked for; a message naming the option when it is not a mode or contradicts --busy-poll. */
    PollMode mode() {
        PollMode mode;
        try {
            mode = poll == null ? PollMode.SLEEP : PollMode.parse(poll);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--poll: " + e.getMessage());
        }
        if (busyPoll && poll != null && mode != PollMode.BUSY) {
            throw new IllegalArgumentException("--busy-poll contradicts --poll=" + poll);
        }
        return busyPoll ? PollMode.BUSY : mode;
    }

    /** The lab's loop settings: the mode asked for and {@code loops}; a message naming the option that is wrong. */
    Lab.Options labOptions(int loops) {
        PollMode mode = mode();
        try {
            return new Lab.Options(mode, loops);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--loops: " + e.getMessage());
        }
    }
}
