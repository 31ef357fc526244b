package dev.vnet.control.cli;

import dev.vnet.dataplane.loop.PollMode;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** --poll and --busy-poll as vnet up and vnet bench read them. */
class PollOptionsTest {
    private static PollOptions parse(String... args) {
        PollOptions options = new PollOptions();
        new CommandLine(options).parseArgs(args);
        return options;
    }

    @Test
    void sleepIsTheDefaultAndEachModeHasItsName() {
        assertEquals(PollMode.SLEEP, parse().mode());
        assertEquals(PollMode.ADAPTIVE, parse("--poll=adaptive").mode());
        assertEquals(PollMode.BUSY, parse("--poll", "busy").mode());
        assertEquals(PollMode.BUSY, parse("--busy-poll").mode(), "--busy-poll is --poll=busy");
        assertEquals(PollMode.BUSY, parse("--busy-poll", "--poll=busy").mode());
    }

    @Test
    void anUnknownModeOrAContradictionNamesTheOption() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> parse("--poll=fast").mode());
        assertTrue(unknown.getMessage().startsWith("--poll: "), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("'fast'"), unknown.getMessage());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> parse("--busy-poll", "--poll=adaptive").mode());
        assertTrue(both.getMessage().contains("--busy-poll") && both.getMessage().contains("adaptive"),
                both.getMessage());
    }
}
