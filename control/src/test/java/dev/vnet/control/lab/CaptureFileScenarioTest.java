package dev.vnet.control.lab;

import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.topology.CaptureSpec;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.control.topology.Topology;
import dev.vnet.dataplane.testing.LeakCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Captures switched on from the topology: the seed lab with red's ICMP written to a pcapng file that rotates at 8 kB
 * (three files kept), drops to another pcapng, the uplink to a classic pcap. After traffic and a clean stop the files
 * are read back by tshark and tcpdump. A capture that cannot work is refused before anything is created.
 */
class CaptureFileScenarioTest {
    private static final long ROTATE = 8000;

    private static String prefix;
    private static Path stateDir;
    private static Path work;

    @BeforeAll
    static void setUp() throws Exception {
        RootScenario.require("ip", "ping", "tshark", "tcpdump");
        prefix = RootScenario.uniquePrefix();
        stateDir = Files.createTempDirectory("vnet-state");
        work = Files.createTempDirectory("vnet-capture");
    }

    @AfterAll
    static void tearDown() throws Exception {
        Cmd.deleteNamespaces(prefix);
        if (work != null) {
            try (var files = Files.list(work)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(work);
            Files.deleteIfExists(stateDir);
        }
        LeakCheck.assertNoLeaks();
    }

    private static List<String> tool(String... args) {
        Cmd.Result r = Cmd.run(60, args);
        assertEquals(0, r.exit(), r.toString());
        return r.out().lines().filter(l -> !l.isBlank()).toList();
    }

    @Test
    void capturesFromTheTopologyAreWrittenRotatedAndReadable() throws Exception {
        Path red = work.resolve("red.pcapng");
        Path drops = work.resolve("drops.pcapng");
        Path uplink = work.resolve("uplink.pcap");
        Topology t = SeedLab.topology().withCaptures(List.of(
                new CaptureSpec(List.of("red"), red, "icmp", "both", false, ROTATE, 3),
                new CaptureSpec(List.of(), drops, "", "both", true, 0, CaptureSpec.DEFAULT_KEEP),
                new CaptureSpec(List.of("uplink"), uplink, "", "both", false, 0, CaptureSpec.DEFAULT_KEEP)))
                .withPrefix(prefix);
        assertEquals(List.of(prefix + "red"), t.captures().get(0).ports(), "namespace ports follow the prefix");
        try (Lab lab = Lab.up(t, stateDir, new IpRoute2())) {
            Cmd.Result ping = Cmd.inNs(prefix + "red", 60, "ping", "-c", "40", "-i", "0.01", "-s", "400",
                    "192.168.15.2");
            assertEquals(0, ping.exit(), ping.toString());
            Cmd.inNs(prefix + "red", 10, "ping", "-c", "2", "-i", "0.2", "-W", "1", "-t", "1", "192.168.1.3");
            Cmd.Result lan = Cmd.inNs(prefix + "red", 30, "ping", "-c", "3", "-i", "0.2", "192.168.1.3");
            assertEquals(0, lan.exit(), lan.toString());
        }
        // 80 echo frames of ~450 bytes (plus the TTL-1 pair and its errors) do not fit in 8 kB: the file rotated,
        // and only three files are kept.
        Path red1 = work.resolve("red.1.pcapng");
        Path red2 = work.resolve("red.2.pcapng");
        for (Path f : List.of(red, red1, red2)) {
            assertTrue(Files.exists(f), f + " exists");
            assertTrue(Files.size(f) <= ROTATE, f + " is " + Files.size(f) + " bytes, over the bound");
            List<String> types = tool("tshark", "-r", f.toString(), "-T", "fields", "-e", "icmp.type");
            assertFalse(types.isEmpty(), f + " holds frames");
            // An ICMP error lists its own type and the quoted echo's ("11,8").
            assertTrue(types.stream().map(x -> x.split(",")[0]).allMatch(x -> List.of("8", "0", "11").contains(x)),
                    "only ICMP, as filtered: " + types);
        }
        assertFalse(Files.exists(work.resolve("red.3.pcapng")), "a fourth file is not kept");
        // Files rotate in order: the newest file holds the last frames, the lan pings' replies among them.
        List<String> newest = tool("tshark", "-r", red.toString(), "-T", "fields", "-e", "ip.src");
        assertTrue(newest.contains("192.168.1.3"), "the newest file ends with the pings to lan: " + newest);

        List<String> dropped = tool("tshark", "-r", drops.toString(), "-T", "fields", "-e", "frame.comment");
        assertTrue(dropped.stream().filter(c -> c.equals("dropped: ttl-exceeded")).count() >= 2,
                "the TTL-1 pings, with their reason: " + dropped);

        List<String> up = tool("tcpdump", "-nn", "-r", uplink.toString(), "icmp");
        assertEquals(6, up.size(), "3 requests and 3 replies on the uplink: " + up);
    }

    @Test
    void aCaptureThatCannotWorkIsRefusedBeforeAnythingIsCreated() {
        Topology badFilter = SeedLab.topology().withCaptures(List.of(
                new CaptureSpec(List.of("red"), work.resolve("x.pcapng"), "port banana", "both", false, 0, 5)))
                .withPrefix(prefix);
        LabException e = assertThrows(LabException.class, () -> Lab.up(badFilter, stateDir, new IpRoute2()));
        assertTrue(e.getMessage().contains("capture " + work.resolve("x.pcapng") + ": filter:"), e.getMessage());
        assertTrue(e.getMessage().contains("nothing was created"), e.getMessage());

        Topology noDir = SeedLab.topology().withCaptures(List.of(
                new CaptureSpec(List.of("red"), work.resolve("missing/x.pcapng"), "", "both", false, 0, 5)))
                .withPrefix(prefix);
        e = assertThrows(LabException.class, () -> Lab.up(noDir, stateDir, new IpRoute2()));
        assertTrue(e.getMessage().contains("file: directory " + work.resolve("missing") + " does not exist"),
                e.getMessage());
        assertFalse(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(prefix)), "no namespace was created");
    }
}
