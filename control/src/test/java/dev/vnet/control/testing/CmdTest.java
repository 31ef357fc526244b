package dev.vnet.control.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command runner every scenario test uses is bounded in time, whatever the command does. */
class CmdTest {
    @Test
    @Timeout(30)
    void aCommandThatHangsIsKilledAtItsTimeout() {
        Cmd.Result r = Cmd.run(1, "sleep", "120");
        assertEquals(-1, r.exit(), "a killed command reports exit -1: " + r);
        assertTrue(r.err().contains("timed out after 1 s"), "and says why: " + r);
    }

    @Test
    @Timeout(30)
    void aCommandThatLeavesABackgroundChildHoldingItsOutputDoesNotHangTheCaller() {
        // The background sleep inherits the command's standard output: a runner that reads that pipe to its end
        // would wait the whole 120 s (and past its own timeout).
        Cmd.Result r = Cmd.run(20, "sh", "-c", "sleep 120 & echo $!");
        try {
            r.assertOk();
        } finally {
            Optional.ofNullable(r.out().trim()).filter(s -> s.matches("\\d+")).map(Long::parseLong)
                    .flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroy); // the sleep we started
        }
    }

    @Test
    void aFailedAssertionSaysWhatRanAndWhatItPrinted() {
        AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> Cmd.run(10, "sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3").assertOk());
        assertTrue(e.getMessage().contains("sh -c echo to-stdout") && e.getMessage().contains("exit 3")
                && e.getMessage().contains("to-stderr"), e.getMessage());
    }
}
