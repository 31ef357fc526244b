package dev.vnet.control.lab;

import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.NcServer;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.Transfer;
import dev.vnet.control.topology.PortForwardSpec;
import dev.vnet.control.topology.RouteSpec;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.control.topology.Topology;
import dev.vnet.control.topology.TopologyDocument;
import dev.vnet.control.topology.TopologyFile;
import dev.vnet.dataplane.api.ConnectionEntry;
import dev.vnet.dataplane.api.ForwardProtocol;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seeds' MASQUERADE and DNAT through vnet, in the seed lab with real tools; lan has no route back to the
 * inside, so everything that works here works because of NAT.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NatScenarioTest {
    private static final String HTTP_OK = "HTTP/1.0 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\nhello, blue\n";
    private static String prefix;
    private static Path stateDir;
    private static Lab lab;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "ping", "nc", "ss", "curl", "iperf3", "mausezahn", "tcpdump");
        prefix = RootScenario.uniquePrefix();
        stateDir = Files.createTempDirectory("vnet-state");
        lab = Lab.up(SeedLab.topology().withPrefix(prefix), stateDir, new IpRoute2());
        assertTrue(Cmd.inNs(ns("lan"), 10, "ip", "route").out().lines().noneMatch(l -> l.startsWith("192.168.15")),
                "lan knows no way back to the inside");
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

    @Test
    @Order(1)
    void bluePingsLanWithoutAReturnRoute() {
        Cmd.Result r = Cmd.inNs(ns("blue"), 20, "ping", "-c", "3", "-W", "2", "192.168.1.3");
        assertTrue(r.out().contains("3 received"), r.toString());
    }

    @Test
    @Order(2)
    void aServerInLanSeesTheConnectionComingFromTheUplinkAddress() throws Exception {
        try (NcServer server = new NcServer(ns("lan"), 8081, "")) {
            Cmd.Result c = Cmd.inNs(ns("blue"), 15, "sh", "-c", "echo hi | nc -N 192.168.1.3 8081");
            assertEquals(0, c.exit(), c.toString());
            String peer = server.peer();
            assertTrue(peer.contains("Connection received on 192.168.1.2 "), "lan saw: " + peer);
        }
    }

    @Test
    @Order(3)
    void curlFromLanReachesTheWebServerInBlueWhichSeesLan() throws Exception {
        try (NcServer web = new NcServer(ns("blue"), 80, HTTP_OK)) {
            Cmd.Result c = Cmd.inNs(ns("lan"), 15, "curl", "-s", "-m", "10", "http://192.168.1.2/");
            assertEquals("hello, blue\n", c.out(), c.toString());
            String peer = web.peer();
            assertTrue(peer.contains("Connection received on 192.168.1.3 "), "blue saw: " + peer);
        }
    }

    @Test
    @Order(4)
    void hairpinFromRedReachesTheForwardedPortToo() throws Exception {
        try (NcServer web = new NcServer(ns("blue"), 80, HTTP_OK)) {
            Cmd.Result c = Cmd.inNs(ns("red"), 15, "curl", "-s", "-m", "10", "http://192.168.1.2/");
            assertEquals("hello, blue\n", c.out(), c.toString());
            assertTrue(web.peer().contains("Connection received on 192.168.15.5 "),
                    "blue answers the gateway, so replies come back through vnet");
        }
    }

    @Test
    @Order(5)
    void udpThroughMasqueradeAndThroughAUdpPortForward() throws Exception {
        assertEquals("hello lan\n", udp(ns("blue"), ns("lan"), "192.168.1.3", 9001, 9001, "hello lan\n"));
        lab.dataplane().addPortForward(ForwardProtocol.UDP, "uplink", 5353, 5353, dev.vnet.dataplane.wire.Ipv4Address.parse("192.168.15.2"), 53);
        assertEquals("hello blue\n", udp(ns("lan"), ns("blue"), "192.168.1.2", 5353, 53, "hello blue\n"));
    }

    private static String udp(String from, String to, String address, int port, int listenPort, String message)
            throws Exception {
        Path out = Files.createTempFile("vnet-udp", ".out");
        Process server = new ProcessBuilder("ip", "netns", "exec", to, "nc", "-u", "-l", Integer.toString(listenPort))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertTrue(Cmd.waitForListener(to, "udp", listenPort), "nc listening on udp/" + listenPort + " in " + to);
            Cmd.Result c = Cmd.inNs(from, 15, "sh", "-c", "printf '" + message.replace("\n", "\\n") + "' | nc -u -w 1 "
                    + address + " " + port);
            assertEquals(0, c.exit(), c.toString());
            for (int i = 0; i < 50 && Files.size(out) < message.length(); i++) {
                Thread.sleep(100);
            }
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            Files.deleteIfExists(out);
        }
    }

    @Test
    @Order(6)
    void hundredMegabytesThroughMasqueradeAndThroughDnatArriveByteIdentical() throws Exception {
        byte[] data = new byte[100 * 1024 * 1024];
        new Random(6).nextBytes(data);
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(data);
        byte[] masq = SeedLabScenarioTest.transfer(ns("blue"), ns("lan"), "192.168.1.3", data);
        assertEquals(data.length, masq.length, "through MASQUERADE");
        assertArrayEquals(expected, MessageDigest.getInstance("SHA-256").digest(masq));
        byte[] dnat = Transfer.tcp(ns("lan"), ns("blue"), "192.168.1.2", 80, data);
        assertEquals(data.length, dnat.length, "through DNAT");
        assertArrayEquals(expected, MessageDigest.getInstance("SHA-256").digest(dnat));
    }

    @Test
    @Order(6)
    void fragmentedUdpDatagramsCrossMasqueradeBothWays() throws Exception {
        // 4000-byte datagrams leave red as three fragments each: the first finds the connection, the others follow
        // it (virtual reassembly); lan's kernel reassembles them, checking every checksum. And back (iperf3 -R).
        // Delivery is counted by the kernels (datagrams the sender fragmented, datagrams the receiver reassembled),
        // not by iperf3, whose count can miss the last datagram of a run when it arrives as the test ends.
        Process server = Cmd.startInNs(ns("lan"), "iperf3", "-s", "-p", "5501");
        try {
            assertTrue(Cmd.waitForListener(ns("lan"), "tcp", 5501));
            for (boolean reverse : new boolean[] {false, true}) {
                String sender = ns(reverse ? "lan" : "red");
                String receiver = ns(reverse ? "red" : "lan");
                String way = reverse ? "lan -> red: " : "red -> lan: ";
                long fragmented = snmp(sender, "IpFragOKs");
                long reassembled = snmp(receiver, "IpReasmOKs");
                long failed = snmp(receiver, "IpReasmFails");
                List<String> cmd = new java.util.ArrayList<>(List.of("iperf3", "-c", "192.168.1.3", "-p", "5501",
                        "-u", "-l", "4000", "-b", "8M", "-t", "2", "-J"));
                if (reverse) {
                    cmd.add("-R");
                }
                Cmd.Result r = Cmd.inNs(ns("red"), 60, cmd.toArray(new String[0]));
                assertEquals(0, r.exit(), r.toString());
                fragmented = snmp(sender, "IpFragOKs") - fragmented;
                reassembled = snmp(receiver, "IpReasmOKs") - reassembled;
                assertTrue(fragmented > 100, way + fragmented + " datagrams fragmented");
                assertEquals(fragmented, reassembled, way + "every fragmented datagram arrived whole; vnet's drops: "
                        + lab.dataplane().portStats().stream().filter(p -> !p.drops().isEmpty())
                        .map(p -> p.name() + " " + p.drops()).toList());
                assertEquals(0, snmp(receiver, "IpReasmFails") - failed, way + "no reassembly failed");
            }
        } finally {
            server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(6)
    void aDatagramWhoseLastFragmentComesFirstCrossesMasqueradeWhole() throws Exception {
        // Red sends one UDP datagram to lan as two fragments, the second first (mausezahn builds them: the kernel
        // would send them in order). The second waits in vnet for the first, then both leave masqueraded, and lan's
        // kernel reassembles the datagram and hands it to nc.
        String data = "held for first!\n"; // 16 bytes: 8 in each fragment
        String gatewayMac = gatewayMac();
        long heldBefore = lab.dataplane().routerCounters().get("fragments-held");
        Path out = Files.createTempFile("vnet-udp", ".out");
        Process server = new ProcessBuilder("ip", "netns", "exec", ns("lan"), "nc", "-u", "-l", "9003")
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertTrue(Cmd.waitForListener(ns("lan"), "udp", 9003));
            String udpHeader = "9c:40:23:2b:00:18:00:00"; // 40000 -> 9003, length 24, no checksum
            String second = fragment(gatewayMac, "frag=2", hex(data.substring(8)));
            String first = fragment(gatewayMac, "mf", udpHeader + ":" + hex(data.substring(0, 8)));
            for (String fragment : List.of(second, first)) {
                Cmd.Result r = Cmd.inNs(ns("red"), 15, "sh", "-c", fragment);
                assertEquals(0, r.exit(), r.toString());
            }
            for (int i = 0; i < 50 && Files.size(out) < data.length(); i++) {
                Thread.sleep(100);
            }
            assertEquals(data, Files.readString(out, StandardCharsets.UTF_8), "lan got the datagram whole");
        } finally {
            server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            Files.deleteIfExists(out);
        }
        Map<String, Long> router = lab.dataplane().routerCounters();
        assertEquals(1, router.get("fragments-held") - heldBefore, "the second fragment waited for the first");
        assertEquals(0, router.get("fragments-waiting"));
        ConnectionEntry c = lab.dataplane().connections().stream()
                .filter(e -> e.original().toString().contains(":40000 ")
                        && e.original().toString().endsWith("192.168.1.3:9003"))
                .findFirst().orElseThrow(() -> new AssertionError("the datagram's connection"));
        assertTrue(c.reply().toString().contains("192.168.1.2"), "masqueraded: " + c);
    }

    @Test
    @Order(6)
    void aProtocolWithoutPortsLeavesMasqueradedToo() throws Exception {
        // One GRE packet from red to lan (mausezahn builds it); tcpdump in lan shows where it came from.
        String gatewayMac = gatewayMac();
        Path seen = Files.createTempFile("vnet-gre", ".txt");
        Process dump = Cmd.startInNs(ns("lan"), seen, "timeout", "20", "tcpdump", "-l", "-n", "-c", "1", "-i", "eth0",
                "ip proto 47");
        try {
            Thread.sleep(1000); // tcpdump attaches
            String gre = "00:00:08:00:45:00:00:14"; // a GRE header and the start of an IPv4 packet
            boolean captured = false;
            for (int i = 0; i < 5 && !captured; i++) {
                Cmd.Result r = Cmd.inNs(ns("red"), 15, "sh", "-c", "mausezahn eth0 -b " + gatewayMac
                        + " -A 192.168.15.1 -B 192.168.1.3 -t ip 'proto=47,p=" + gre + "' -q");
                assertEquals(0, r.exit(), r.toString());
                captured = dump.waitFor(2, TimeUnit.SECONDS);
            }
            assertTrue(captured, "lan saw the GRE packet");
            String line = Files.readString(seen);
            assertTrue(line.contains("192.168.1.2 > 192.168.1.3"), "from the uplink's address: " + line);
        } finally {
            dump.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            Files.deleteIfExists(seen);
        }
        assertTrue(lab.dataplane().connections().stream().anyMatch(c -> c.protocol().toString().equals("proto-47")
                && c.original().toString().equals("192.168.15.1 -> 192.168.1.3")
                && c.reply().toString().equals("192.168.1.3 -> 192.168.1.2")),
                "tracked by its addresses: " + lab.dataplane().connections());
    }

    /** The router's MAC on v-net-0, as red's ARP table has it. */
    private static String gatewayMac() {
        assertTrue(Cmd.inNs(ns("red"), 10, "ping", "-c", "1", "-W", "2", "192.168.15.5").ok(), "red knows its gateway");
        String neigh = Cmd.inNs(ns("red"), 10, "ip", "neigh", "show", "192.168.15.5").out();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("lladdr (\\S+)").matcher(neigh);
        assertTrue(m.find(), "the gateway's MAC in red's ARP table: " + neigh);
        return m.group(1);
    }

    /** A mausezahn command sending one IPv4 fragment of a UDP datagram from red to lan (IP id 4660). */
    private static String fragment(String gatewayMac, String flags, String payloadHex) {
        return "mausezahn eth0 -b " + gatewayMac + " -A 192.168.15.1 -B 192.168.1.3 -t ip 'proto=17,id=4660,"
                + flags + ",p=" + payloadHex + "' -q";
    }

    private static String hex(String ascii) {
        StringBuilder sb = new StringBuilder();
        for (byte b : ascii.getBytes(StandardCharsets.US_ASCII)) {
            sb.append(sb.length() == 0 ? "" : ":").append(String.format("%02x", b & 0xFF));
        }
        return sb.toString();
    }

    /** A kernel SNMP counter of namespace {@code ns}. */
    private static long snmp(String ns, String counter) {
        Cmd.Result r = Cmd.inNs(ns, 10, "nstat", "-a", "-s", "-z", counter); // absolute, history file untouched
        assertTrue(r.ok(), r.toString());
        for (String line : r.out().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals(counter)) {
                return Long.parseLong(f[1]);
            }
        }
        throw new AssertionError("nstat in " + ns + " shows no " + counter + ": " + r.out());
    }

    @Test
    @Order(7)
    void twoNamespacesOnTheSameSourcePortToTheSameServerBothWork() throws Exception {
        Path out = Files.createTempFile("vnet-k", ".out");
        Process server = new ProcessBuilder("ip", "netns", "exec", ns("lan"), "nc", "-l", "-k", "8082")
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertTrue(Cmd.waitForListener(ns("lan"), "tcp", 8082), "nc listening on tcp/8082 in lan");
            for (String from : List.of("red", "blue")) {
                Cmd.Result c = Cmd.inNs(ns(from), 15, "sh", "-c", "echo from-" + from
                        + " | nc -N -p 40000 192.168.1.3 8082");
                assertEquals(0, c.exit(), from + ": " + c);
            }
            for (int i = 0; i < 50 && Files.readString(out).lines().count() < 2; i++) {
                Thread.sleep(100);
            }
            String got = Files.readString(out);
            assertTrue(got.contains("from-red") && got.contains("from-blue"), "both arrived: " + got);
            List<ConnectionEntry> to8082 = lab.dataplane().connections().stream()
                    .filter(c -> c.original().toString().endsWith("192.168.1.3:8082")
                            && c.original().toString().contains(":40000 ")).toList();
            assertEquals(2, to8082.size(), to8082.toString());
            assertNotEquals(to8082.get(0).reply(), to8082.get(1).reply(), "distinct translated tuples");
        } finally {
            server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            Files.deleteIfExists(out);
        }
    }

    @Test
    @Order(8)
    void anIcmpErrorAboutAMasqueradedPacketReachesTheSendersSocket() {
        // Nothing listens on udp/9999 in lan: lan's kernel answers port unreachable to 192.168.1.2; vnet translates
        // it back, and blue's kernel hands it to the socket only if the quote is exactly what the socket sent.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Cmd.Result r = Cmd.inNs(ns("blue"), 30, java, "-cp", System.getProperty("java.class.path"),
                dev.vnet.control.testing.UdpRefusedProbe.class.getName(), "192.168.1.3", "9999");
        assertEquals("refused", r.out().trim(), r.toString());
    }

    @Test
    @Order(9)
    void aPortForwardAddedAtRuntimeWorksAndStopsWhenRemoved() throws Exception {
        String state = stateDir.toString();
        assertEquals(0, dev.vnet.control.cli.Main.run("forward", "add", "tcp", "uplink:8080", "192.168.15.1:8080",
                "--state-dir", state));
        try (NcServer web = new NcServer(ns("red"), 8080, HTTP_OK)) {
            Cmd.Result c = Cmd.inNs(ns("lan"), 15, "curl", "-s", "-m", "10", "http://192.168.1.2:8080/");
            assertEquals("hello, blue\n", c.out(), "the new forward reaches red: " + c);
        }
        assertEquals(0, dev.vnet.control.cli.Main.run("forward", "del", "tcp", "uplink:8080", "--state-dir", state));
        Cmd.Result refused = Cmd.inNs(ns("lan"), 15, "curl", "-s", "-m", "5", "http://192.168.1.2:8080/");
        assertEquals(7, refused.exit(), "connection refused once the forward is gone (curl exit 7): " + refused);
    }

    @Test
    @Order(10)
    void aNamespaceAttachedAtRuntimeIsReachedAndDetachingRemovesIt() {
        String state = stateDir.toString();
        String green = ns("green");
        assertEquals(0, dev.vnet.control.cli.Main.run("attach", green, "--bridge", "v-net-0", "--address",
                "192.168.15.3/24", "--default-route", "192.168.15.5", "--state-dir", state));
        assertTrue(Cmd.inNs(ns("red"), 15, "ping", "-c", "2", "-W", "2", "192.168.15.3").ok(), "red reaches green");
        assertTrue(Cmd.inNs(green, 15, "ping", "-c", "2", "-W", "2", "192.168.1.3").ok(),
                "green reaches lan through MASQUERADE");
        assertEquals(1, dev.vnet.control.cli.Main.run("attach", ns("bad"), "--bridge", "v-net-0", "--address",
                "10.0.0.1/24", "--state-dir", state), "an address off the bridge's subnet is refused");
        assertRunningTopologyHoldsRuntimeChanges(green);
        assertFalse(Cmd.namespaces().contains(ns("bad")), "and nothing was created for it");
        assertEquals(0, dev.vnet.control.cli.Main.run("detach", green, "--state-dir", state));
        assertFalse(Cmd.namespaces().contains(green), "the namespace is gone");
        Cmd.inNs(ns("red"), 10, "ping", "-c", "1", "-W", "1", "192.168.15.3").assertFailed();
        assertTrue(Cmd.inNs(ns("red"), 15, "ping", "-c", "2", "-W", "2", "192.168.15.2").ok(),
                "the other ports are undisturbed");
        assertEquals(1, dev.vnet.control.cli.Main.run("detach", green, "--state-dir", state), "already gone");
    }

    /** /topology, written as YAML the way 'vnet topology' prints it, reads back with green, a new forward and route. */
    private void assertRunningTopologyHoldsRuntimeChanges(String green) {
        assertEquals(0, dev.vnet.control.cli.Main.run("forward", "add", "udp", "uplink:5354", "192.168.15.3:53",
                "--state-dir", stateDir.toString()));
        lab.dataplane().addRoute(Ipv4Cidr.parse("203.0.113.0/24"), dev.vnet.dataplane.wire.Ipv4Address.parse("192.168.1.3"));
        try {
            @SuppressWarnings("unchecked")
            java.util.Map<String, Object> tree = new com.fasterxml.jackson.databind.ObjectMapper().convertValue(
                    new dev.vnet.control.api.ControlClient(stateDir).get("/topology"), java.util.Map.class);
            Topology running = TopologyFile.parse("running",
                    TopologyDocument.yaml(tree, "as running"));
            assertTrue(running.namespaces().stream().anyMatch(n -> n.name().equals(green)
                    && n.address().toString().equals("192.168.15.3/24")), running.namespaces().toString());
            assertTrue(running.forwards().contains(new PortForwardSpec(ForwardProtocol.UDP, "uplink",
                    5354, 5354, Ipv4Addr.parse("192.168.15.3"), 53)), running.forwards().toString());
            assertTrue(running.forwards().contains(new PortForwardSpec(ForwardProtocol.TCP, "uplink",
                    80, 80, Ipv4Addr.parse("192.168.15.2"), 80)), "the file's forward is still there");
            assertTrue(running.routes().contains(new RouteSpec(
                    Ipv4Cidr.parse("203.0.113.0/24"), Ipv4Addr.parse("192.168.1.3"))),
                    running.routes().toString());
        } catch (Exception e) {
            throw new AssertionError("the running topology does not read back: " + e.getMessage(), e);
        } finally {
            dev.vnet.control.cli.Main.run("forward", "del", "udp", "uplink:5354", "--state-dir", stateDir.toString());
            lab.dataplane().removeRoute(Ipv4Cidr.parse("203.0.113.0/24"));
        }
    }

    @Test
    @Order(11)
    void showCommandsListConnectionsAndRules() {
        assertTrue(lab.dataplane().natRules().containsAll(List.of("masquerade 192.168.15.0/24 out of uplink",
                "forward tcp 192.168.1.2:80 -> 192.168.15.2:80")), lab.dataplane().natRules().toString());
        List<ConnectionEntry> connections = lab.dataplane().connections();
        assertTrue(connections.stream().anyMatch(c -> c.translated() && c.reply().toString().contains(" -> 192.168.1.2:")),
                "masqueraded connections are listed with their translated reply tuple: " + connections);
        var totals = lab.dataplane().pipelineCounters();
        assertEquals(totals.get("received"), totals.get("forwarded") + totals.get("flooded") + totals.get("dropped")
                + totals.get("consumed") + totals.get("local"), "every frame accounted for: " + totals);
    }
}
