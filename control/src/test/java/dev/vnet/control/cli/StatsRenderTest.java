package dev.vnet.control.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** What vnet stats prints from GET /stats: the loops' polling mode beside their frame counts. */
class StatsRenderTest {
    @Test
    void showsHowTheLoopsWaitBesideTheirCounts() throws Exception {
        String out = new ShowCommands.Stats().render(new ObjectMapper().readTree(
                "{\"pipeline\":{\"received\":12},\"poll\":\"adaptive\",\"loops\":[5,7],\"router\":{},"
                        + "\"conntrack\":{},\"fdb\":{},\"ports\":[]}"));
        assertTrue(out.contains("frames received per event loop (poll adaptive): 0=5 1=7"), out);
    }
}
