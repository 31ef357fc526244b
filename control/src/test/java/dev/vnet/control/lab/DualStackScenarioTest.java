package dev.vnet.control.lab;

import dev.vnet.control.testing.Await;
import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.NcServer;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.testing.Transfer;
import dev.vnet.control.topology.BuiltInLabs;
import dev.vnet.dataplane.api.ConnectionEntry;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.wire.Ipv6Address;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dual-stack lab ({@code vnet up --lab dual-stack}) with real tools over IPv6: pings between the namespaces and
 * to the gateway's global and link-local addresses; blue reaching lan through NAT66 (lan sees the uplink's address);
 * {@code curl -6} from lan to the uplink's port 80 reaching blue, which sees lan; the same forward used from red
 * (hairpin: blue sees the gateway); UDP both ways; 100 MB through NAT66 byte for byte; traceroute through NAT66
 * showing the gateway hop; and {@code vnet conntrack} and {@code vnet nat} showing the IPv6 entries.
 */
class DualStackScenarioTest {
    private static final String HTTP_OK = "HTTP/1.0 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\n"
            + "hello, blue\n";
    private static ScenarioLab net;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "ping", "nc", "ss", "curl", "traceroute");
        net = ScenarioLab.up(BuiltInLabs.topology("dual-stack"));
        net.awaitIpv6("red", "blue", "lan");
    }

    @AfterAll
    static void down() throws IOException {
        if (net != null) {
            net.close();
        }
        LeakCheck.assertNoLeaks();
    }

    private static void pings(String from, String to) {
        Cmd.Result r = Cmd.inNs(net.ns(from), 20, "ping", "-6", "-n", "-c", "2", "-i", "0.2", "-W", "3", to);
        assertEquals(0, r.exit(), from + " pings " + to + ": " + r);
    }

    @Test
    void pingsReachBlueTheGatewayAndItsLinkLocalAddressAndLanThroughNat() throws Exception {
        pings("red", "fd00:15::2");
        pings("red", "fd00:15::5");
        String gwMac = Cmd.inNs(net.ns("red"), 5, "ip", "-6", "neigh", "show", "fd00:15::5").assertOk().out();
        assertTrue(gwMac.contains("router"), "red's kernel learned the gateway is a router: " + gwMac);
        String mac = gwMac.replaceAll("(?s).*lladdr ([0-9a-f:]{17}).*", "$1");
        Ipv6Address linkLocal = Ipv6Address.linkLocal(dev.vnet.dataplane.wire.MacAddr.parse(mac));
        pings("red", linkLocal + "%eth0");
        pings("blue", "fd00:1::3");
    }

    @Test
    void blueReachesLanThroughNat66AndLanSeesTheUplinksAddress() throws Exception {
        try (NcServer server = new NcServer(net.ns("lan"), 8081, "", true)) {
            Cmd.Result c = Cmd.inNs(net.ns("blue"), 15, "sh", "-c", "echo hi | nc -6 -N fd00:1::3 8081");
            assertEquals(0, c.exit(), c.toString());
            String peer = server.peer();
            assertTrue(peer.contains("Connection received on fd00:1::2 "), "lan saw: " + peer);
        }
    }

    @Test
    void curlFromLanReachesBlueThroughTheForwardAndBlueSeesLan() throws Exception {
        try (NcServer web = new NcServer(net.ns("blue"), 80, HTTP_OK, true)) {
            Cmd.Result c = Cmd.inNs(net.ns("lan"), 15, "curl", "-6", "-s", "-m", "10", "http://[fd00:1::2]/");
            assertEquals("hello, blue\n", c.out(), c.toString());
            String peer = web.peer();
            assertTrue(peer.contains("Connection received on fd00:1::3 "), "blue saw: " + peer);
        }
    }

    @Test
    void hairpinFromRedReachesTheForwardedPortOverIpv6() throws Exception {
        try (NcServer web = new NcServer(net.ns("blue"), 80, HTTP_OK, true)) {
            Cmd.Result c = Cmd.inNs(net.ns("red"), 15, "curl", "-6", "-s", "-m", "10", "http://[fd00:1::2]/");
            assertEquals("hello, blue\n", c.out(), c.toString());
            assertTrue(web.peer().contains("Connection received on fd00:15::5 "),
                    "blue answers the gateway, so replies come back through vnet");
        }
    }

    @Test
    void udpCrossesNat66BothWays() throws Exception {
        // red -> lan through MASQUERADE, and lan's answer back on the same connection.
        Process server = Cmd.startInNs(net.ns("lan"), "sh", "-c", "nc -6 -u -l -W 1 5353 | tr a-z A-Z > /dev/null");
        try {
            assertTrue(Cmd.waitForListener(net.ns("lan"), "udp", 5353), "lan listens on udp/5353");
            Cmd.Result r = Cmd.inNs(net.ns("red"), 15, "sh", "-c",
                    "echo ping | nc -6 -u -w 2 fd00:1::3 5353");
            assertEquals(0, r.exit(), r.toString());
            List<ConnectionEntry> udp = Await.until(5_000, () -> net.dataplane().connections().stream()
                    .filter(c -> c.protocol().toString().equals("udp") && c.original().toString()
                            .contains("[fd00:1::3]:5353")).toList(), l -> !l.isEmpty());
            assertTrue(udp.get(0).reply().toString().endsWith("-> [fd00:1::2]:" + udp.get(0).reply().dstPort()),
                    "the reply tuple is to the uplink's address: " + udp);
        } finally {
            server.destroyForcibly().waitFor();
        }
    }

    @Test
    void aHundredMegabytesCrossNat66ByteForByte() throws Exception {
        byte[] data = Transfer.randomBytes(66, 100 << 20);
        Transfer.assertSameBytes(data, Transfer.tcp(net.ns("red"), net.ns("lan"), "fd00:1::3", 5466, data),
                "red -> lan through NAT66");
    }

    @Test
    void tracerouteThroughNat66ShowsTheGatewayHop() {
        Cmd.Result t = Cmd.inNs(net.ns("red"), 60, "traceroute", "-6", "-n", "-q", "1", "-w", "2", "-N", "1", "-z",
                "200", "fd00:1::3");
        assertEquals(0, t.exit(), t.toString());
        assertTrue(t.out().matches("(?s).*\\n\\s*1\\s+fd00:15::5\\s.*\\n\\s*2\\s+fd00:1::3\\s.*"),
                "hop 1 the gateway, hop 2 lan (its port unreachable translated back through NAT66): " + t.out());
    }

    @Test
    void aForwardAddedByNamespaceNameListensOnBothFamiliesAndGoesAgain() {
        String state = "--state-dir=" + net.stateDir();
        CliRun add = CliRun.of("forward", "add", "tcp", "uplink:8080", "blue:80", state);
        assertEquals(0, add.exit(), add.toString());
        assertTrue(add.out().contains("added tcp 192.168.1.2:8080 -> 192.168.15.2:80\n")
                && add.out().contains("added tcp [fd00:1::2]:8080 -> [fd00:15::2]:80\n"), add.out());
        CliRun del = CliRun.of("forward", "del", "tcp", "uplink:8080", state);
        assertEquals(0, del.exit(), del.toString());
        assertTrue(del.out().contains("removed tcp 192.168.1.2:8080")
                && del.out().contains("removed tcp [fd00:1::2]:8080"), del.out());
        CliRun bad = CliRun.of("forward", "add", "tcp", "uplink:8081", "purple:80", state);
        assertTrue(bad.exit() != 0 && bad.err().contains("'purple' is not an address or a namespace's name"),
                bad.toString());
    }

    @Test
    void conntrackAndNatShowTheIpv6Entries() throws Exception {
        Cmd.inNs(net.ns("blue"), 20, "ping", "-6", "-n", "-c", "1", "-W", "3", "fd00:1::3").assertOk();
        String state = "--state-dir=" + net.stateDir();
        CliRun conntrack = CliRun.of("conntrack", state);
        assertEquals(0, conntrack.exit(), conntrack.toString());
        // From blue's static address or the one it formed from the advertisements (the kernel picks the newer).
        assertTrue(conntrack.out().matches("(?s).*icmpv6 .*\\[fd00:15::[0-9a-f:]+]:\\d+ -> \\[fd00:1::3]:0 +reply "
                + "\\[fd00:1::3]:0 -> \\[fd00:1::2]:\\d+ +\\[NAT].*"), "the ICMPv6 connection and its translation: "
                + conntrack.out());
        CliRun nat = CliRun.of("nat", state);
        assertTrue(nat.out().contains("masquerade fd00:15::/64 out of uplink"), nat.out());
        assertTrue(nat.out().contains("forward tcp [fd00:1::2]:80 -> [fd00:15::2]:80"), nat.out());
        String metrics = dev.vnet.control.api.Metrics.render(net.dataplane());
        assertTrue(metrics.matches("(?s).*\nvnet_neighbors\\{family=\"ipv6\"} [1-9].*"), "IPv6 neighbours: " + metrics);
        assertTrue(metrics.matches("(?s).*\nvnet_conntrack_ipv6_addresses [1-9].*"), metrics);
        assertTrue(metrics.matches("(?s).*\nvnet_routes\\{family=\"ipv6\"} 2\n.*"), "two connected /64s: " + metrics);
        CliRun topology = CliRun.of("topology", state);
        assertTrue(topology.out().contains("to: blue:80"), "written back as the lab names it: " + topology.out());
    }
}
