package dev.vnet.control.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vnet.control.testing.Await;
import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vnet bench --quick --peers all} end to end, as CI runs it: every network built (the kernel's, vnet's,
 * Open vSwitch's, the TAP floor's, pasta's and slirp4netns's), every case measured on every system that can express
 * it and n/a on the others, the table, results.json and chart.svg written with the peers' columns, and nothing left
 * behind: no namespace, no peer's process (OVS daemon, TAP floor, pasta, slirp4netns), no working directory. The numbers are not judged (a shared
 * machine): only that each is a real, positive reading.
 */
class BenchScenarioTest {
    private static final java.util.Set<BenchCase.Path> NAT = java.util.EnumSet.of(BenchCase.Path.MASQUERADE,
            BenchCase.Path.MASQUERADE6, BenchCase.Path.DNAT);
    private static final List<String> SWITCHES = List.of("ovs", "floor");
    private static final List<String> STACKS = List.of("pasta", "slirp4netns");
    private static String prefix;

    @BeforeAll
    static void require() {
        RootScenario.require("ip", "ping", "iperf3", "nft", "ss", "ovs-vswitchd", "cc", "pasta", "slirp4netns");
        prefix = RootScenario.uniquePrefix();
    }

    @AfterAll
    static void cleanUp() {
        Cmd.deleteNamespaces(prefix);
    }

    @Test
    void quickBenchProducesTableJsonAndChartAndCleansUp() throws Exception {
        List<Path> before = benchDirs();
        // no --out: a temporary directory
        CliRun r = CliRun.of("bench", "--quick", "--peers", "all", "--prefix", prefix);
        assertEquals(0, r.exit(), r.err());
        Matcher written = Pattern.compile("written: (\\S+)/results.json").matcher(r.out());
        assertTrue(written.find(), "it says where it wrote: " + r.out());
        Path dir = Path.of(written.group(1));
        assertTrue(dir.startsWith(Path.of(System.getProperty("java.io.tmpdir"))) && dir.getFileName().toString()
                .startsWith("vnet-bench-"), "by default into a new temporary directory, not the current one: " + dir);
        try {
            checkOutput(r, dir);
            List<Path> after = benchDirs();
            after.removeAll(before);
            assertEquals(List.of(dir), after, "no working directory of a network is left, only the results");
            // Theirs run from or with their networks' working directories (a machine's own OVS does not), or in
            // their namespaces.
            Cmd.Result daemons = Cmd.run(10, "sh", "-c", "ps -eo args | grep -E 'vnet-bench-(ovs|floor|pasta|"
                    + "slirp4netns)-|" + prefix + "' | grep -v grep || true");
            assertTrue(daemons.out().isBlank(), "no peer's process left running: " + daemons.out());
        } finally {
            for (String f : new String[] {"results.json", "chart.svg"}) {
                Files.deleteIfExists(dir.resolve(f));
            }
            Files.deleteIfExists(dir);
        }
    }

    /** The result directories vnet bench made under java.io.tmpdir, and its networks' working directories. */
    private static List<Path> benchDirs() throws java.io.IOException {
        try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return new java.util.ArrayList<>(s.filter(p -> p.getFileName().toString().startsWith("vnet-bench-"))
                    .toList());
        }
    }

    private static void checkOutput(CliRun r, Path dir) throws Exception {
        // ovs and floor on each switched case, pasta and slirp4netns on each NAT case (MASQUERADE, NAT66, DNAT)
        List<String> peers = new java.util.ArrayList<>(SWITCHES);
        peers.addAll(STACKS);
        assertEquals(peers, Peers.KNOWN, "every peer is checked here, as a switch or a NAT stack");
        long switched = BenchCase.all().stream().filter(c -> c.path() == BenchCase.Path.L2).count();
        long nat = BenchCase.all().stream().filter(c -> NAT.contains(c.path())).count();
        int steps = (int) (BenchCase.all().size() * 2 + switched * 2 + nat * 2);
        assertTrue(r.err().contains("[" + steps + "/" + steps + "] run 1: ping round trip, 1000 a second, L2"),
                "progress shown, the peers' turns counted: " + r.err());
        assertTrue(r.err().contains("host bridge-nf-call-iptables: "), r.err());
        assertTrue(r.out().lines().findFirst().orElse("").matches("case +kernel +vnet +ovs +floor +pasta +"
                + "slirp4netns +vnet/kernel +vnet/ovs +vnet/floor +vnet/pasta +vnet/slirp4netns *"), "the peers' columns: " + r.out());
        for (BenchCase c : BenchCase.all()) {
            assertTrue(r.out().contains(c.title()), "table row for " + c.title() + ":\n" + r.out());
        }
        JsonNode json = new ObjectMapper().readTree(dir.resolve("results.json").toFile());
        assertEquals(BenchCase.all().size(), json.path("cases").size());
        assertEquals("[\"kernel\",\"vnet\",\"ovs\",\"floor\",\"pasta\",\"slirp4netns\"]",
                json.path("systems").toString());
        assertTrue(json.path("settings").path("peers").path("ovs").asText().contains("tap ports"), json.toString());
        assertTrue(json.path("settings").path("peers").path("pasta").asText().contains("forwarded"), json.toString());
        for (JsonNode c : json.path("cases")) {
            assertEquals(1, c.path("kernel").size(), c.toString());
            assertEquals(1, c.path("vnet").size(), c.toString());
            assertTrue(c.path("kernel-median").asDouble() > 0 && c.path("vnet-median").asDouble() > 0, c.toString());
            assertTrue(c.path("ratio").asDouble() > 0, c.toString());
            BenchCase.Path path = BenchCase.all().stream().filter(b -> b.id().equals(c.path("id").asText()))
                    .findFirst().orElseThrow().path();
            for (String peer : Peers.KNOWN) {
                boolean expresses = SWITCHES.contains(peer) ? path == BenchCase.Path.L2 : NAT.contains(path);
                if (expresses) {
                    assertEquals(1, c.path(peer).size(), peer + " measured on a case it expresses: " + c);
                    assertTrue(c.path(peer + "-median").asDouble() > 0 && c.path("ratio-" + peer).asDouble() > 0,
                            c.toString());
                } else {
                    assertTrue(c.path(peer).isNull() && c.path("ratio-" + peer).isNull(), peer + " n/a: " + c);
                }
            }
        }
        assertTrue(json.path("machine").path("cores").asInt() > 0);
        String svg = Files.readString(dir.resolve("chart.svg"));
        assertTrue(svg.startsWith("<svg") && svg.trim().endsWith("</svg>"), svg);
        assertTrue(svg.contains("TCP, 1 stream, DNAT") && svg.contains("ovs: n/a") && svg.contains("(floor ")
                && svg.contains("(pasta ") && svg.contains("slirp4netns: n/a"), svg);
        assertFalse(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(prefix)), "every network removed");
    }

    @Test
    void anInterruptedBenchRemovesBothNetworksAndStopsItsServers(@TempDir Path dir) throws Exception {
        String mine = RootScenario.uniquePrefix();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process bench = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                dev.vnet.control.cli.Main.class.getName(), "bench", "--runs", "1", "--seconds", "60", "--case",
                "tcp-1-l2,tcp-1-vxlan", "--prefix", mine, "--out", dir.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        StringBuffer err = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (var in = new java.io.InputStreamReader(bench.getErrorStream(), StandardCharsets.UTF_8)) {
                char[] buf = new char[1024];
                int n;
                while ((n = in.read(buf)) > 0) {
                    err.append(buf, 0, n);
                }
            } catch (java.io.IOException ignored) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        try {
            // Every network built (the seed lab twice, two VXLAN hosts twice, two of them vnets of their own) and the
            // first measurement (a 60 s iperf3) under way: then Ctrl-C.
            String progress = Await.until(180_000, err::toString, s -> s.contains("[1/4] run 1") || !bench.isAlive());
            assertTrue(progress.contains("[1/4] run 1"), "the benchmark got to its first measurement: " + progress);
            List<ProcessHandle> vnets = bench.descendants()
                    .filter(h -> h.info().commandLine().orElse("").contains("--prefix " + mine + "vx-")).toList();
            assertEquals(2, vnets.size(), "a vnet runs on each VXLAN host");
            List<ProcessHandle> servers = Await.until(10_000, () -> bench.descendants()
                    .filter(h -> h.info().commandLine().orElse("").contains("iperf3 -s")).toList(), l -> !l.isEmpty());
            assertFalse(servers.isEmpty(), "its iperf3 server runs");
            assertTrue(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(mine)), "its namespaces exist");
            Cmd.run(10, "sh", "-c", "kill -s INT " + bench.pid()).assertOk();
            assertTrue(bench.waitFor(60, TimeUnit.SECONDS), "vnet bench ended on SIGINT");
            reader.join(10_000);
            assertTrue(err.toString().contains("vnet bench: interrupted; removing its networks"), err.toString());
            assertFalse(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(mine)),
                    "no namespace of the benchmark is left: " + Cmd.namespaces());
            for (ProcessHandle s : servers) {
                assertFalse(Await.until(10_000, s::isAlive, alive -> !alive), "its iperf3 server was stopped");
            }
            for (ProcessHandle v : vnets) {
                assertFalse(v.isAlive(), "the vnet of a VXLAN host was stopped: " + v.info().commandLine());
            }
        } finally {
            if (bench.isAlive()) {
                bench.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            Cmd.deleteNamespaces(mine);
        }
    }

    @Test
    void anUnknownPeerIsAUsageError() {
        CliRun r = CliRun.of("bench", "--peers", "ovs,vpp");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--peers: no peer 'vpp' (peers: ovs, floor, pasta, slirp4netns, or all)"), r.err());
    }

    @Test
    void anUnknownCaseIsAUsageError() {
        CliRun r = CliRun.of("bench", "--case", "tcp-9");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--case: no case 'tcp-9' (cases: tcp-1-l2, tcp-4-l2"), r.err());
    }
}
