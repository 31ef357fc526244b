package dev.vnet.control.lab;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vnet.control.api.ControlClient;
import dev.vnet.control.cli.Main;
import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.dataplane.testing.LeakCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vnet trace} against the running seed lab, as a user runs it: files read back by pcap4j, tcpdump and tshark,
 * {@code -w - | tshark -r -}, drop capture with reasons, and a reader that stops reading.
 */
class TraceScenarioTest {
    private static String prefix;
    private static Path stateDir;
    private static Path work;
    private static Lab lab;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "ping", "tshark", "tcpdump", "iperf3");
        prefix = RootScenario.uniquePrefix();
        stateDir = Files.createTempDirectory("vnet-state");
        work = Files.createTempDirectory("vnet-trace");
        lab = Lab.up(SeedLab.topology().withPrefix(prefix), stateDir, new IpRoute2());
    }

    @AfterAll
    static void down() throws Exception {
        if (lab == null) {
            return;
        }
        lab.close();
        assertFalse(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(prefix)), "namespaces removed");
        Files.deleteIfExists(stateDir);
        try (var files = Files.list(work)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(work);
        LeakCheck.assertNoLeaks();
    }

    private static String ns(String name) {
        return prefix + name;
    }

    /** {@code vnet trace ARGS} as its own process (as a user runs it), output to {@code out}. */
    private static Process trace(Path out, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "trace", "--state-dir", stateDir.toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectOutput(out.toFile())
                .redirectError(work.resolve("trace.err").toFile()).start();
    }

    /** Waits until vnet lists {@code n} running captures. */
    private static void awaitCaptures(int n) throws Exception {
        ControlClient client = new ControlClient(stateDir);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (client.get("/captures").size() == n) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no capture started: " + Files.readString(work.resolve("trace.err")));
    }

    private static List<String> tool(String... args) {
        Cmd.Result r = Cmd.run(60, args);
        assertEquals(0, r.exit(), r.toString());
        return r.out().lines().toList();
    }

    @Test
    void aPcapFileHoldsWhatCrossedThePortAndTheFilterSelectsIt() throws Exception {
        Path file = work.resolve("blue.pcap");
        Process p = trace(work.resolve("trace.out"), ns("blue"), "-w", file.toString(), "-c", "6", "icmp");
        awaitCaptures(1);
        Cmd.inNs(ns("red"), 20, "ping", "-c", "3", "-i", "0.2", "192.168.15.2").assertOk();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "trace stopped after -c 6");
        assertEquals(0, p.exitValue(), Files.readString(work.resolve("trace.err")));
        assertTrue(Files.readString(work.resolve("trace.err")).startsWith("6 frames captured"),
                Files.readString(work.resolve("trace.err")));

        int frames = 0;
        try (PcapHandle h = Pcaps.openOffline(file.toString())) {
            byte[] f;
            while ((f = h.getNextRawPacket()) != null) {
                assertEquals(0x0800, (f[12] & 0xff) << 8 | (f[13] & 0xff), "only IPv4 (the filter is icmp)");
                assertEquals(1, f[23], "ICMP");
                frames++;
            }
        }
        assertEquals(6, frames, "pcap4j reads 3 requests and 3 replies");
        List<String> tcpdump = tool("tcpdump", "-n", "-r", file.toString());
        assertEquals(3, tcpdump.stream().filter(l -> l.contains("192.168.15.1 > 192.168.15.2: ICMP echo request"))
                .count(), tcpdump.toString());
        assertEquals(3, tcpdump.stream().filter(l -> l.contains("192.168.15.2 > 192.168.15.1: ICMP echo reply"))
                .count(), tcpdump.toString());
        assertEquals(List.of("8", "0", "8", "0", "8", "0"),
                tool("tshark", "-r", file.toString(), "-T", "fields", "-e", "icmp.type"));
    }

    @Test
    void aTraceWhoseFileCannotBeWrittenExitsNonZeroSayingWhy() throws Exception {
        awaitCaptures(0);
        Path full = Files.createSymbolicLink(work.resolve("full.pcapng"), Path.of("/dev/full")); // a full disk
        try {
            Process p = trace(work.resolve("trace.out"), ns("red"), "-w", full.toString(), "icmp");
            awaitCaptures(1);
            Cmd.inNs(ns("red"), 20, "ping", "-c", "2", "-i", "0.2", "192.168.15.2").assertOk();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "trace ended when its file failed");
            String err = Files.readString(work.resolve("trace.err"));
            assertEquals(1, p.exitValue(), "a failed capture file is a failed trace: " + err);
            assertTrue(err.contains("No space left on device"), "it says why: " + err);
            awaitCaptures(0); // and vnet ended the capture: nothing keeps filling its ring
        } finally {
            Files.delete(full);
        }
    }

    @Test
    void aLiveStreamToStdoutIsReadByTshark() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String vnet = java + " -cp " + System.getProperty("java.class.path") + " " + Main.class.getName()
                + " trace --state-dir " + stateDir + " " + ns("red") + " -c 4 -w - icmp";
        Process pipe = new ProcessBuilder("sh", "-c", vnet + " | tshark -r - -T fields -e ip.src -e icmp.type")
                .redirectError(work.resolve("trace.err").toFile()).start();
        awaitCaptures(1);
        Cmd.inNs(ns("red"), 20, "ping", "-c", "2", "-i", "0.2", "192.168.15.2").assertOk();
        assertTrue(pipe.waitFor(30, TimeUnit.SECONDS), "the pipeline ends after -c 4");
        String out = new String(pipe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(List.of("192.168.15.1\t8", "192.168.15.2\t0", "192.168.15.1\t8", "192.168.15.2\t0"),
                out.lines().toList(), Files.readString(work.resolve("trace.err")));
    }

    @Test
    void droppedFramesAreCapturedWithTheirReasonAsPacketComments() throws Exception {
        Path file = work.resolve("drops.pcapng");
        Process p = trace(work.resolve("trace.out"), "--drops", "-w", file.toString(), "-c", "2", "icmp");
        awaitCaptures(1);
        // TTL 1 through the router: dropped as ttl-exceeded (the sender gets a time exceeded).
        Cmd.inNs(ns("blue"), 20, "ping", "-c", "2", "-i", "0.2", "-t", "1", "192.168.1.3");
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "trace stopped after -c 2");
        List<String> comments = tool("tshark", "-r", file.toString(), "-T", "fields", "-e", "frame.comment",
                "-e", "ip.ttl", "-e", "ip.dst");
        assertEquals(List.of("dropped: ttl-exceeded\t1\t192.168.1.3", "dropped: ttl-exceeded\t1\t192.168.1.3"),
                comments);
    }

    @Test
    void stoppingATraceBySignalStillPrintsItsSummary() throws Exception {
        awaitCaptures(0); // an earlier test's capture ends when vnet notices its reader has gone
        Process p = trace(work.resolve("trace.out"), ns("red"), "icmp");
        awaitCaptures(1);
        Cmd.inNs(ns("red"), 20, "ping", "-c", "2", "-i", "0.2", "192.168.15.2");
        Path out = work.resolve("trace.out");
        for (int i = 0; i < 200 && Files.readString(out).lines().count() < 4; i++) {
            Thread.sleep(50); // the four lines are printed before the signal, so the count is known
        }
        p.destroy(); // SIGTERM: the same shutdown path as Ctrl-C
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "trace stopped on SIGTERM");
        String err = Files.readString(work.resolve("trace.err"));
        assertTrue(err.contains("4 frames captured, 0 lost by the capture"), err);
        assertEquals(4, Files.readString(work.resolve("trace.out")).lines().count());
    }

    @Test
    void aDecisionTraceShowsTheMasqueradedPathOfAPing() throws Exception {
        Path out = work.resolve("decisions.out");
        Process p = trace(out, "--decisions", "2", "icmp");
        try {
            // Ping until the trace has its frames (it starts once its JVM is up; nothing to poll for it).
            for (int i = 0; i < 200 && p.isAlive(); i++) {
                Cmd.inNs(ns("red"), 10, "ping", "-c", "1", "-W", "1", "192.168.1.3");
                Thread.sleep(100);
            }
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the trace ends after 2 frames: " + Files.readString(out)
                    + Files.readString(work.resolve("trace.err")));
        } finally {
            p.destroy();
        }
        String trace = Files.readString(out);
        assertTrue(trace.contains("trace 1 at "), trace);
        assertTrue(trace.contains("Ipv4Forward: route"), trace);
        assertTrue(trace.contains("NatOut"), trace);
        assertTrue(trace.contains("=>  192.168.1.2 > 192.168.1.3 icmp id")
                || trace.contains("192.168.1.3 > 192.168.1.2 icmp id"), "MASQUERADE before/after shown: " + trace);
    }

    @Test
    void aReaderThatStopsReadingDoesNotStopForwarding() throws Exception {
        ControlClient client = new ControlClient(stateDir);
        ControlClient.Stream stalled = client.openStream("/capture?ports=" + ns("blue") + "&ring=16");
        try {
            Process server = new ProcessBuilder("ip", "netns", "exec", ns("blue"), "iperf3", "-s", "-1")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            try {
                assertTrue(Cmd.waitForListener(ns("blue"), "tcp", 5201), "iperf3 server listening");
                Cmd.Result r = Cmd.inNs(ns("red"), 60, "iperf3", "-c", "192.168.15.2", "-t", "2", "-J");
                assertEquals(0, r.exit(), r.toString());
                JsonNode result = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
                long bytes = result.path("end").path("sum_received").path("bytes").asLong();
                assertTrue(bytes > 10_000_000, "traffic kept flowing: " + bytes + " bytes in 2 s");
                JsonNode capture = client.get("/captures").get(0);
                assertTrue(capture.path("capture-drops").asLong() > 0, "the stalled reader cost capture drops: "
                        + capture);
            } finally {
                server.destroy();
                server.waitFor(5, TimeUnit.SECONDS);
            }
        } finally {
            stalled.channel().close();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (client.get("/captures").size() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, client.get("/captures").size(), "closing the reader ends the capture");
    }
}
