package dev.vnet.control.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The report of a run with peers that express different cases: a switch on the switched case, a NAT stack on the
 * MASQUERADE case, each n/a on the other, in the table and in the chart, whose kernel line lies under the labels.
 */
class BenchReportTest {
    private static final List<String> SYSTEMS = List.of("kernel", "vnet", "ovs", "pasta");

    private static List<BenchResult> results() {
        BenchCase l2 = BenchCase.all().stream().filter(c -> c.id().equals("tcp-1-l2")).findFirst().orElseThrow();
        BenchCase masq = BenchCase.all().stream().filter(c -> c.id().equals("tcp-1-masq")).findFirst().orElseThrow();
        BenchResult switched = new BenchResult(l2);
        switched.add("kernel", 16.0);
        switched.add("vnet", 12.0);
        switched.add("ovs", 10.0);
        BenchResult nat = new BenchResult(masq);
        nat.add("kernel", 15.0);
        nat.add("vnet", 13.5);
        nat.add("pasta", 0.5);
        return List.of(switched, nat);
    }

    @Test
    void eachPeerHasItsColumnAndRatioAndIsNaWhereItCannotRun() {
        String table = new BenchReport(Map.of(), Map.of("runs", 1), results(), SYSTEMS).table();
        List<String> lines = table.lines().toList();
        assertTrue(lines.get(0).matches("case +kernel +vnet +ovs +pasta +vnet/kernel +vnet/ovs +vnet/pasta *"),
                "header: " + lines.get(0));
        assertTrue(lines.get(1).matches("TCP, 1 stream, L2 .* 12\\.0 Gbit/s +10\\.0 Gbit/s +n/a +0\\.75 +1\\.20 +n/a *"),
                "switched row, pasta n/a: " + lines.get(1));
        assertTrue(lines.get(2).matches("TCP, 1 stream, MASQUERADE .* 13\\.5 Gbit/s +n/a +0\\.50 Gbit/s +0\\.90 +n/a "
                + "+27\\.0 *"), "NAT row, ovs n/a: " + lines.get(2));
    }

    @Test
    void theChartDrawsTheKernelLineUnderHaloedLabels(@TempDir Path dir) throws Exception {
        Path svg = dir.resolve("chart.svg");
        new BenchReport(Map.of("summary", "test"), Map.of("runs", 1, "seconds-per-case", 1), results(), SYSTEMS)
                .writeSvg(svg);
        String s = Files.readString(svg);
        int line = s.indexOf("<line ");
        int firstBar = s.indexOf("<rect x=\"345\"");
        assertTrue(line > 0 && firstBar > line, "the kernel's line comes before (under) the bars: " + s);
        assertTrue(s.contains("ovs: n/a") && s.contains("pasta: n/a"), s);
        assertTrue(s.contains("paint-order=\"stroke\">0.03  (pasta 0.50 Gbit/s)"), "a label with its halo: " + s);
        assertEquals(4, s.split("<rect x=\"345\"", -1).length - 1, "a bar per measured system and case (vnet and "
                + "one peer on each): " + s);
    }
}
