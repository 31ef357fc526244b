package dev.vnet.control.lab;

import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.topology.BridgeSpec;
import dev.vnet.control.topology.NamespaceSpec;
import dev.vnet.control.topology.Topology;
import dev.vnet.control.topology.UplinkSpec;
import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.api.NeighborEntry;
import dev.vnet.dataplane.api.PortStats;
import dev.vnet.dataplane.api.RouteEntry;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vnet as a router, with real namespaces and tools:
 * <pre>
 *   red 192.168.15.1, blue 192.168.15.2 ── v-net-0 (gateway 192.168.15.5)
 *   green 192.168.16.1                  ── v-net-1 (gateway 192.168.16.5)
 *   lan 192.168.1.3 ── uplink (router 192.168.1.2), MTU 1000
 * </pre>
 * lan gets return routes by hand: NAT is not part of this yet.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RoutedScenarioTest {
    private static final int UPLINK_MTU = 1000;
    private static String prefix;
    private static Path stateDir;
    private static Lab lab;

    private static Topology topology() {
        int gw0 = parse("192.168.15.5");
        int gw1 = parse("192.168.16.5");
        return new Topology("routed test",
                List.of(new BridgeSpec("v-net-0", BridgeOptions.defaults(), List.of(Ipv4Cidr.parse("192.168.15.5/24"))),
                        new BridgeSpec("v-net-1", BridgeOptions.defaults(), List.of(Ipv4Cidr.parse("192.168.16.5/24")))),
                List.of(new NamespaceSpec("red", "v-net-0", "eth0", Ipv4Cidr.parse("192.168.15.1/24"), 1500, gw0),
                        new NamespaceSpec("blue", "v-net-0", "eth0", Ipv4Cidr.parse("192.168.15.2/24"), 1500, gw0),
                        new NamespaceSpec("green", "v-net-1", "eth0", Ipv4Cidr.parse("192.168.16.1/24"), 1500, gw1)),
                List.of(new UplinkSpec("uplink", "lan", "eth0", Ipv4Cidr.parse("192.168.1.3/24"),
                        Ipv4Cidr.parse("192.168.1.2/24"), UPLINK_MTU)),
                List.of());
    }

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "ping", "nc", "ss");
        prefix = RootScenario.uniquePrefix();
        stateDir = Files.createTempDirectory("vnet-state");
        lab = Lab.up(topology().withPrefix(prefix), stateDir, new IpRoute2());
        // Until NAT exists, lan needs to know the way back.
        for (String subnet : List.of("192.168.15.0/24", "192.168.16.0/24")) {
            Cmd.Result r = Cmd.inNs(ns("lan"), 10, "ip", "route", "add", subnet, "via", "192.168.1.2");
            assertTrue(r.ok(), r.toString());
        }
    }

    @AfterAll
    static void down() throws Exception {
        if (lab == null) {
            return;
        }
        lab.close();
        assertFalse(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(prefix)), "namespaces removed");
        Files.deleteIfExists(stateDir);
        LeakCheck.assertNoLeaks();
    }

    private static String ns(String name) {
        return prefix + name;
    }

    private static Cmd.Result ping(String from, String to, String... extra) {
        String[] args = new String[6 + extra.length];
        args[0] = "ping";
        args[1] = "-c";
        args[2] = "3";
        args[3] = "-W";
        args[4] = "2";
        System.arraycopy(extra, 0, args, 5, extra.length);
        args[args.length - 1] = to;
        return Cmd.inNs(ns(from), 30, args);
    }

    @Test
    @Order(1)
    void everyNamespacePingsItsGateway() {
        for (String[] pair : new String[][] {{"red", "192.168.15.5"}, {"blue", "192.168.15.5"},
                {"green", "192.168.16.5"}, {"lan", "192.168.1.2"}}) {
            Cmd.Result r = ping(pair[0], pair[1]);
            assertTrue(r.out().contains("3 received"), pair[0] + " -> " + pair[1] + ": " + r);
        }
    }

    @Test
    @Order(2)
    void blueReachesLanThroughTheRouter() {
        Cmd.Result r = ping("blue", "192.168.1.3");
        assertTrue(r.out().contains("3 received"), r.toString());
        assertTrue(r.out().contains("ttl=63"), "one router hop: " + r.out());
    }

    @Test
    @Order(3)
    void aPingBiggerThanTheLinkIsAnsweredByTheGatewayAndByLanThroughIt() {
        // 3000 bytes over MTU 1500: the kernel fragments the request, vnet reassembles it for the gateway's answer;
        // to lan the fragments go through (masqueraded) and lan's kernel answers.
        for (String to : new String[] {"192.168.15.5", "192.168.1.3"}) {
            Cmd.Result r = Cmd.inNs(ns("blue"), 15, "ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", "3000", to);
            assertTrue(r.out().contains("3 received") && r.out().contains("3008 bytes from " + to), r.toString());
        }
    }

    @Test
    @Order(3)
    void ttlOneIsAnsweredByTheGateway() {
        Cmd.Result r = Cmd.inNs(ns("blue"), 10, "ping", "-c", "1", "-t", "1", "-W", "2", "192.168.1.3");
        assertTrue(r.out().contains("From 192.168.15.5") && r.out().contains("Time to live exceeded"), r.toString());
    }

    @Test
    @Order(3)
    void recordRouteAndTimestampsShowTheRouterAsAKernelRouterWould() {
        // To lan: red records itself, the router the uplink's address on the way out, lan itself twice, the router
        // the gateway's address on the way back, red itself on arrival. To the gateway: the gateway twice.
        Cmd.Result r = Cmd.inNs(ns("red"), 10, "ping", "-R", "-c", "1", "-W", "2", "192.168.1.3");
        String route = r.out().replaceAll("\\s+", " ");
        assertTrue(r.out().contains("1 received") && route.contains(
                "RR: 192.168.15.1 192.168.1.2 192.168.1.3 192.168.1.3 192.168.15.5 192.168.15.1"), r.toString());
        Cmd.Result gw = Cmd.inNs(ns("red"), 10, "ping", "-R", "-c", "1", "-W", "2", "192.168.15.5");
        assertTrue(gw.out().contains("1 received") && gw.out().replaceAll("\\s+", " ").contains(
                "RR: 192.168.15.1 192.168.15.5 192.168.15.5 192.168.15.1"), gw.toString());
        // Timestamps with addresses: the router's entry, from the uplink, comes second.
        Cmd.Result ts = Cmd.inNs(ns("red"), 10, "ping", "-T", "tsandaddr", "-c", "1", "-W", "2", "192.168.1.3");
        assertTrue(ts.out().contains("1 received") && ts.out().matches("(?s).*TS: \\t192\\.168\\.15\\.1\\t\\d+ absolute"
                + "\\s+192\\.168\\.1\\.2\\t-?\\d+\\s+192\\.168\\.1\\.3\\t.*"), ts.toString());
    }

    @Test
    @Order(3)
    void aHostSendingThroughTheGatewayToItsNeighboursNetworkIsRedirectedThere() {
        // blue is the first hop for 198.51.100.0/24 (a static route); red sends there through the gateway, which
        // forwards back into the bridge and tells red the better first hop. red's kernel (told to take redirects,
        // in its own namespace) then routes there by blue.
        lab.dataplane().addRoute(Ipv4Cidr.parse("198.51.100.0/24"), dev.vnet.dataplane.wire.Ipv4Address.parse("192.168.15.2"));
        try {
            Cmd.Result accept = Cmd.inNs(ns("red"), 10, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/conf/all/accept_redirects"
                    + " && echo 1 > /proc/sys/net/ipv4/conf/eth0/accept_redirects");
            assertTrue(accept.ok(), accept.toString());
            // A kernel takes a redirect only to a first hop whose MAC it already knows.
            Cmd.inNs(ns("red"), 10, "ping", "-c", "1", "-W", "2", "192.168.15.2").assertOk();
            Cmd.Result ping = Cmd.inNs(ns("red"), 10, "ping", "-c", "1", "-W", "2", "198.51.100.1");
            assertTrue(ping.out().contains("From 192.168.15.5") && ping.out().contains("Redirect Host")
                    && ping.out().contains("192.168.15.2"), ping.toString());
            Cmd.Result route = Cmd.inNs(ns("red"), 10, "ip", "route", "get", "198.51.100.1");
            assertTrue(route.out().contains("via 192.168.15.2") && route.out().contains("redirected"),
                    route.toString());
            assertEquals(1L, lab.dataplane().routerCounters().get("icmp-redirects-sent"), "vnet stats counts it");
        } finally {
            lab.dataplane().removeRoute(Ipv4Cidr.parse("198.51.100.0/24"));
            Cmd.inNs(ns("red"), 10, "ip", "route", "flush", "cache");
        }
    }

    @Test
    @Order(4)
    void unroutedDestinationIsAnsweredNetUnreachable() {
        Cmd.Result r = Cmd.inNs(ns("blue"), 10, "ping", "-c", "1", "-W", "2", "203.0.113.1");
        assertTrue(r.out().contains("From 192.168.15.5") && r.out().contains("Net Unreachable"), r.toString());
    }

    @Test
    @Order(5)
    void twoBridgesAreRoutedToEachOther() {
        Cmd.Result r = ping("red", "192.168.16.1");
        assertTrue(r.out().contains("3 received"), r.toString());
        Cmd.Result back = ping("green", "192.168.15.2");
        assertTrue(back.out().contains("3 received"), back.toString());
    }

    @Test
    @Order(6)
    void tcpFromLanToBlueArrivesByteIdentical() throws Exception {
        byte[] data = new byte[16 * 1024 * 1024];
        new Random(4).nextBytes(data);
        byte[] got = SeedLabScenarioTest.transfer(ns("lan"), ns("blue"), "192.168.15.2", data);
        assertEquals(data.length, got.length);
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data),
                MessageDigest.getInstance("SHA-256").digest(got));
    }

    @Test
    @Order(7)
    void pingWithDfClearIsFragmentedOntoTheSmallerMtuAndArrivesWhole() {
        // 1228-byte packets without DF: they fit blue's MTU (1500), not the uplink's (1000), so vnet fragments them.
        long before = uplinkTx();
        Cmd.Result r = ping("blue", "192.168.1.3", "-M", "dont", "-s", "1200");
        assertTrue(r.out().contains("3 received"), r.toString());
        assertFalse(r.out().contains("wrong data"), "echoed data intact: " + r.out());
        assertTrue(uplinkTx() - before >= 6, "at least two fragments per request went out of the uplink");
    }

    @Test
    @Order(8)
    void largeUdpDatagramWithDfClearCrossesTheUplinkFragmentedAndArrivesWhole() throws Exception {
        // With path-MTU discovery off in blue (this namespace only), blue sends UDP without DF.
        // Written straight into /proc/sys (this namespace's): sysctl(8) is procps, which a minimal Debian lacks.
        Cmd.inNs(ns("blue"), 10, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_no_pmtu_disc").assertOk();
        byte[] datagram = new byte[1400];
        new Random(5).nextBytes(datagram);
        Path in = Files.createTempFile("vnet-udp", ".bin");
        Path out = Files.createTempFile("vnet-udp-recv", ".bin");
        Process server = null;
        try {
            Files.write(in, datagram);
            server = new ProcessBuilder("ip", "netns", "exec", ns("lan"), "nc", "-u", "-l", "9000")
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            waitForUdpListener(ns("lan"), 9000);
            long before = uplinkTx();
            Cmd.Result sent = Cmd.inNs(ns("blue"), 20, "sh", "-c", "nc -u -w 1 192.168.1.3 9000 < " + in);
            assertEquals(0, sent.exit(), sent.toString());
            for (int i = 0; i < 50 && Files.size(out) < datagram.length; i++) {
                Thread.sleep(100);
            }
            assertArrayEquals(datagram, Files.readAllBytes(out), "the datagram arrived whole");
            assertTrue(uplinkTx() - before >= 2, "as fragments: " + (uplinkTx() - before) + " frames");
        } finally {
            if (server != null) {
                server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
        }
    }

    private static void waitForUdpListener(String ns, int port) {
        if (!Cmd.waitForListener(ns, "udp", port)) {
            throw new AssertionError("nc never listened on udp " + port + " in " + ns);
        }
    }

    /** Runs a vnet show command against this lab's API and returns what it printed. */
    private static String runCli(String... args) {
        String[] full = java.util.Arrays.copyOf(args, args.length + 2);
        full[args.length] = "--state-dir";
        full[args.length + 1] = stateDir.toString();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        int exit;
        try {
            System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
            exit = dev.vnet.control.cli.Main.run(full);
        } finally {
            System.setOut(old);
        }
        assertEquals(0, exit, "vnet " + String.join(" ", args));
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static long uplinkTx() {
        return lab.dataplane().portStats().stream().filter(p -> p.name().equals("uplink")).mapToLong(PortStats::txFrames)
                .sum();
    }

    @Test
    @Order(9)
    void routerTablesShowWhatItLearned() {
        List<RouteEntry> routes = lab.dataplane().routes();
        assertTrue(routes.contains(new RouteEntry(Ipv4Cidr.parse("192.168.15.0/24"), "v-net-0", null)),
                routes.toString());
        assertTrue(routes.contains(new RouteEntry(Ipv4Cidr.parse("192.168.16.0/24"), "v-net-1", null)),
                routes.toString());
        assertTrue(routes.contains(new RouteEntry(Ipv4Cidr.parse("192.168.1.0/24"), "uplink", null)),
                routes.toString());
        List<NeighborEntry> neighbors = lab.dataplane().neighbors();
        for (String host : List.of("192.168.15.2", "192.168.16.1", "192.168.1.3")) {
            assertTrue(neighbors.stream().anyMatch(n -> n.address().equals(Ipv4Address.parse(host))
                    && n.mac() != null), host + " in " + neighbors);
        }
        String route = runCli("route");
        assertTrue(route.contains("192.168.15.0/24 dev v-net-0 scope link\n"), route);
        assertTrue(route.contains("192.168.1.0/24 dev uplink scope link\n"), route);
        String neigh = runCli("neigh");
        assertTrue(neigh.matches("(?s).*192\\.168\\.1\\.3 dev uplink lladdr [0-9a-f:]{17} (REACHABLE|STALE).*"), neigh);
        String ports = runCli("ports", "-j");
        assertTrue(ports.contains("\"name\" : \"uplink\""), ports);
        String fdb = runCli("fdb");
        assertTrue(fdb.contains("master v-net-1"), fdb);
        var totals = lab.dataplane().pipelineCounters();
        assertEquals(totals.get("received"), totals.get("forwarded") + totals.get("flooded") + totals.get("dropped")
                + totals.get("consumed") + totals.get("local"), "every frame accounted for: " + totals);
    }
}
