package dev.vnet.control.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vnet bench --quick} end to end, as CI runs it: both networks built, every case measured on both, the
 * table, results.json and chart.svg written, and nothing left behind. The numbers are not judged (a shared machine):
 * only that each is a real, positive reading.
 */
class BenchScenarioTest {
    private static String prefix;

    @BeforeAll
    static void require() {
        RootScenario.require("ip", "ping", "iperf3", "nft", "ss");
        prefix = RootScenario.uniquePrefix();
    }

    @AfterAll
    static void cleanUp() {
        Cmd.deleteNamespaces(prefix);
    }

    @Test
    void quickBenchProducesTableJsonAndChartAndCleansUp(@TempDir Path dir) throws Exception {
        CliRun r = CliRun.of("bench", "--quick", "--out", dir.toString(), "--prefix", prefix);
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("[16/16] run 1: ping round trip, 1000 a second, L2"), "progress shown: " + r.err());
        assertTrue(r.err().contains("host bridge-nf-call-iptables: "), r.err());
        for (BenchCase c : BenchCase.all()) {
            assertTrue(r.out().contains(c.title()), "table row for " + c.title() + ":\n" + r.out());
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve("results.json").toFile());
        assertEquals(BenchCase.all().size(), json.path("cases").size());
        for (JsonNode c : json.path("cases")) {
            assertEquals(1, c.path("kernel").size(), c.toString());
            assertEquals(1, c.path("vnet").size(), c.toString());
            assertTrue(c.path("kernel-median").asDouble() > 0 && c.path("vnet-median").asDouble() > 0, c.toString());
            assertTrue(c.path("ratio").asDouble() > 0, c.toString());
        }
        assertTrue(json.path("machine").path("cores").asInt() > 0);
        String svg = Files.readString(dir.resolve("chart.svg"));
        assertTrue(svg.startsWith("<svg") && svg.trim().endsWith("</svg>"), svg);
        assertTrue(svg.contains("TCP, 1 stream, DNAT"), svg);
        assertFalse(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(prefix)), "both networks removed");
    }

    @Test
    void anUnknownCaseIsAUsageError() {
        CliRun r = CliRun.of("bench", "--case", "tcp-9");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--case: no case 'tcp-9' (cases: tcp-1-l2, tcp-4-l2"), r.err());
    }
}
