package dev.vnet.control.lab;

import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.testing.Await;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.Heap;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.testing.Transfer;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.control.topology.Topology;
import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.api.NeighborEntry;
import dev.vnet.dataplane.conntrack.ConntrackTimeouts;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.MacAddr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tenants attacking the network they share, with real attack tools from inside their namespaces: a flood of random
 * source MACs (mausezahn), a SYN flood at the forwarded port (hping3), an ARP storm and ARP replies claiming the
 * gateway's address. The tables stay at their bounds, the well-behaved keep talking (a full connection table gives up
 * a half-open connection for a new one, as the kernel's early drop), and what the attack broke comes back once it
 * stops. The seed lab runs with a small connection table (512) and short handshake timeouts, so that a
 * few seconds of flood fill it and a few seconds of quiet drain it.
 */
class HostileTenantScenarioTest {
    private static final int CONNECTIONS = 512;
    private static final long MB = 1024 * 1024;

    private static ScenarioLab net;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "nc", "ss", "ping", "mausezahn", "hping3");
        Topology seed = SeedLab.topology();
        ConntrackTimeouts quick = seed.limits().timeouts().with("tcp-syn-sent", 3).with("tcp-syn-recv", 3)
                .with("tcp-close", 2);
        Topology t = seed.withLimits(new dev.vnet.dataplane.l3.RouterLimits(CONNECTIONS,
                seed.limits().maxNeighbors(), seed.limits().maxRoutes(), quick));
        net = ScenarioLab.up(t);
    }

    @AfterAll
    static void down() throws IOException {
        if (net != null) {
            net.close();
        }
        LeakCheck.assertNoLeaks();
    }

    private static Dataplane dp() {
        return net.dataplane();
    }

    @Test
    void aFloodOfRandomSourceMacsKeepsTheMacTableAtItsBoundAndRedAndBlueTalking() throws Exception {
        long heapBefore = Heap.usedAfterGc();
        Map<String, Long> before = dp().fdbCounters("v-net-0");
        // 100 000 broadcast frames from red, each from another random MAC, while blue sends red 8 MB. Paced at one
        // per 10 us at most: unpaced, most would be dropped by the kernel at red's TAP queue before vnet saw them.
        Process flood = Cmd.startInNs(net.ns("red"), "mausezahn", "eth0", "-c", "100000", "-d", "10", "-a", "rand", "-b", "bc",
                "-B", "192.168.15.2", "-t", "udp", "dp=9", "-q");
        byte[] d = Transfer.randomBytes(1, (int) (8 * MB));
        Transfer.assertSameBytes(d, Transfer.tcp(net.ns("blue"), net.ns("red"), "192.168.15.1", 7501, d),
                "blue -> red during the flood");
        assertTrue(flood.waitFor(120, TimeUnit.SECONDS), "the flood ends");
        assertEquals(0, flood.exitValue(), "mausezahn ran");
        Map<String, Long> after = dp().fdbCounters("v-net-0");
        assertTrue(after.get("entries") <= after.get("max-entries"), "the MAC table is at most its bound: " + after);
        assertEquals(after.get("max-entries"), after.get("entries"), "the flood filled it: " + after + ", red's "
                + "kernel dropped " + new IpRoute2().txDropped(net.ns("red"), "eth0") + " at its TAP queue");
        assertTrue(after.get("limit-hits") - before.get("limit-hits") > 80_000,
                "addresses beyond the bound are not learned, and counted: " + after);
        long heapGrowth = Heap.usedAfterGc() - heapBefore;
        System.out.printf("hostile: MAC flood: fdb %s, heap grew %.1f MB, red's TAP queue dropped %d%n", after,
                heapGrowth / (double) MB, new IpRoute2().txDropped(net.ns("red"), "eth0"));
        assertTrue(heapGrowth < 64 * MB, "the heap stays bounded: grew " + heapGrowth / MB + " MB");
        // Blue and red still reach each other both ways (their entries were learned before the table filled).
        Transfer.assertSameBytes(d, Transfer.tcp(net.ns("red"), net.ns("blue"), "192.168.15.2", 7502, d),
                "red -> blue after the flood");
    }

    @Test
    void aSynFloodAtTheForwardedPortFillsTheConnectionTableButSparesEstablishedConnections() throws Exception {
        Path got = Files.createTempFile("vnet-syn", ".out");
        Process server = Cmd.startInNs(net.ns("blue"), got, "nc", "-l", "80");
        Process client = null;
        try {
            assertTrue(Cmd.waitForListener(net.ns("blue"), "tcp", 80));
            // An established connection through the port forward, before the flood.
            client = new ProcessBuilder("ip", "netns", "exec", net.ns("lan"), "nc", "192.168.1.2", "80")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            OutputStream toServer = client.getOutputStream();
            send(toServer, "before\n");
            waitFor(got, "before\n");
            Map<String, Long> before = dp().conntrackCounters();
            Process flood = Cmd.startInNs(net.ns("lan"), "timeout", "4", "hping3", "-S", "-p", "80", "--flood", "192.168.1.2");
            // Until the flood's half-open connections have made room for each other (the flood lasts 4 s).
            Map<String, Long> during = Await.until(4000, () -> dp().conntrackCounters(),
                    c -> c.get("early-drops") > before.get("early-drops"));
            assertTrue(during.get("entries") <= CONNECTIONS, "the table holds at most its bound: " + during);
            assertTrue(during.get("early-drops") > before.get("early-drops"),
                    "the flood's half-open connections make room for each other: " + during);
            // A new connection, while the flood goes on, takes the place of a half-open one (early drop).
            byte[] d = Transfer.randomBytes(3, 256 * 1024);
            Transfer.assertSameBytes(d, Transfer.tcp(net.ns("red"), net.ns("lan"), "192.168.1.3", 7503, d),
                    "a new connection through MASQUERADE during the flood");
            System.out.println("hostile: SYN flood, 2 s in: conntrack " + during);
            send(toServer, "during\n");
            waitFor(got, "before\nduring\n");
            flood.waitFor(30, TimeUnit.SECONDS);
            send(toServer, "after\n");
            waitFor(got, "before\nduring\nafter\n");
            client.getOutputStream().close();
            client.waitFor(10, TimeUnit.SECONDS);
            server.waitFor(10, TimeUnit.SECONDS);
        } finally {
            if (client != null) {
                client.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            Files.deleteIfExists(got);
        }
        // Once the flood stops, its half-open connections time out (3 s here) and new connections work again.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (dp().conntrackCounters().get("entries") > CONNECTIONS / 2 && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        System.out.println("hostile: SYN flood over, " + (30 - (deadline - System.nanoTime()) / 1_000_000_000L)
                + " s later: conntrack " + dp().conntrackCounters());
        byte[] d = Transfer.randomBytes(2, (int) MB);
        Transfer.assertSameBytes(d, Transfer.tcp(net.ns("lan"), net.ns("blue"), "192.168.1.2", 80, d),
                "a new connection through the port forward after the flood");
    }

    @Test
    void packetsFromSpoofedLoopbackOrRouterAddressesAreDroppedAsMartians() throws Exception {
        String routerMac = MacAddr.toString(MacAddr.derived("gw:v-net-0"));
        long before = routerDrops("ipv4-martian-source");
        long lanBefore = lanUdpReceived();
        for (String src : List.of("127.0.0.1", "192.168.15.5", "192.168.1.2")) {
            Cmd.Result sent = Cmd.inNs(net.ns("red"), 30, "mausezahn", "eth0", "-c", "100", "-d", "100", "-b",
                    routerMac, "-A", src, "-B", "192.168.1.3", "-t", "udp", "sp=4000,dp=9", "-q");
            assertEquals(0, sent.exit(), sent.toString());
        }
        assertEquals(300, routerDrops("ipv4-martian-source") - before, "every spoofed packet dropped as a martian");
        assertEquals(lanUdpReceived(), lanBefore, "none reached lan");
    }

    private static long routerDrops(String reason) {
        return dp().portStats().stream().filter(p -> p.name().equals("gw:v-net-0")).findFirst().orElseThrow()
                .drops().getOrDefault(reason, 0L);
    }

    /** UDP datagrams lan's kernel received (delivered or not), from its SNMP counters. */
    private static long lanUdpReceived() {
        Cmd.Result snmp = Cmd.inNs(net.ns("lan"), 10, "cat", "/proc/net/snmp");
        String[] lines = snmp.out().split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            if (lines[i].startsWith("Udp:") && lines[i + 1].startsWith("Udp:")) {
                List<String> names = List.of(lines[i].trim().split("\\s+"));
                String[] values = lines[i + 1].trim().split("\\s+");
                return Long.parseLong(values[names.indexOf("InDatagrams")])
                        + Long.parseLong(values[names.indexOf("NoPorts")])
                        + Long.parseLong(values[names.indexOf("InErrors")]);
            }
        }
        throw new AssertionError("no Udp counters in " + snmp);
    }

    private static long redRx() {
        return dp().portStats().stream().filter(p -> p.name().equals(net.ns("red"))).findFirst().orElseThrow()
                .rxFrames();
    }

    private static void send(OutputStream out, String line) throws IOException {
        out.write(line.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static void waitFor(Path file, String content) throws Exception {
        for (int i = 0; i < 100; i++) {
            if (Files.readString(file).equals(content)) {
                return;
            }
            Thread.sleep(100);
        }
        assertEquals(content, Files.readString(file), "what the established connection delivered");
    }

    @Test
    void anArpStormAndRepliesClaimingTheGatewayLeaveTheRouterItsAddress() throws Exception {
        String routerMac = MacAddr.toString(MacAddr.derived("gw:v-net-0"));
        // Red tells the router, a thousand times, that the gateway address is red's; then storms ARP requests from
        // random MACs and addresses of the subnet at everyone.
        long redBefore = redRx();
        Cmd.Result spoof = Cmd.inNs(net.ns("red"), 60, "mausezahn", "eth0", "-c", "1000", "-d", "10", "-b",
                routerMac, "-t", "arp", "reply, senderip=192.168.15.5, targetmac=" + routerMac
                        + ", targetip=192.168.15.5", "-q");
        assertEquals(0, spoof.exit(), spoof.toString());
        Cmd.Result storm = Cmd.inNs(net.ns("red"), 120, "mausezahn", "eth0", "-c", "50000", "-d", "10", "-a",
                "rand", "-t", "arp", "request, senderip=192.168.15.77, targetip=192.168.15.5", "-q");
        assertEquals(0, storm.exit(), storm.toString());
        long arrived = redRx() - redBefore;
        assertTrue(arrived > 25_000, "most of the storm reached vnet (the rest the kernel dropped): " + arrived);
        for (NeighborEntry n : dp().neighbors()) {
            assertFalse(n.address().equals(Ipv4Address.parse("192.168.15.5")),
                    "the router never takes its own address for a neighbor: " + n);
        }
        assertTrue(dp().neighbors().size() <= net.lab().running().limits().maxNeighbors(), "the neighbor table's bound");
        System.out.println("hostile: ARP spoof x1000 and storm x50000: " + arrived + " frames reached vnet; "
                + "neighbors " + dp().neighbors());
        // The gateway still answers, and routes: blue reaches it and lan through it.
        Cmd.Result gw = Cmd.inNs(net.ns("blue"), 30, "ping", "-c", "3", "-i", "0.2", "-W", "2", "192.168.15.5");
        assertEquals(0, gw.exit(), gw.toString());
        Cmd.Result routed = Cmd.inNs(net.ns("blue"), 30, "ping", "-c", "3", "-i", "0.2", "-W", "2", "192.168.1.3");
        assertEquals(0, routed.exit(), routed.toString());
    }
}
