package dev.vnet.control.lab;

import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.Transfer;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.dataplane.api.FdbEntry;
import dev.vnet.dataplane.api.PortStats;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.wire.MacAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seeds' exercise through vnet, with real namespaces, TAPs, ping and nc: red and blue on the user-space bridge.
 * The lab runs in this JVM so that Netty's paranoid leak detector watches every frame buffer.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SeedLabScenarioTest {
    private static String prefix;
    private static String red;
    private static String blue;
    private static Path stateDir;
    private static Lab lab;
    private static List<String> tapNames = List.of();

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "ping", "nc", "ss");
        prefix = RootScenario.uniquePrefix();
        red = prefix + "red";
        blue = prefix + "blue";
        stateDir = Files.createTempDirectory("vnet-state");
        lab = Lab.up(SeedLab.topology().withPrefix(prefix), stateDir, new IpRoute2());
        tapNames = lab.dataplane().portStats().stream().map(PortStats::device).toList();
    }

    @AfterAll
    static void downAndNothingLeft() throws IOException {
        if (lab == null) {
            return;
        }
        lab.close();
        assertFalse(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(prefix)), "namespaces removed");
        List<String> links = Cmd.links();
        for (String tap : tapNames) {
            assertFalse(links.contains(tap), "TAP " + tap + " removed");
        }
        assertFalse(Files.exists(stateDir.resolve("state")), "state record removed");
        Files.deleteIfExists(stateDir);
        LeakCheck.assertNoLeaks();
    }

    @Test
    @Order(1)
    void redAndBluePingEachOther() {
        Cmd.Result there = Cmd.inNs(red, 20, "ping", "-c", "3", "-W", "2", "192.168.15.2");
        assertTrue(there.out().contains("3 received"), there.toString());
        Cmd.Result back = Cmd.inNs(blue, 20, "ping", "-c", "3", "-W", "2", "192.168.15.1");
        assertTrue(back.out().contains("3 received"), back.toString());
    }

    @Test
    @Order(2)
    void eachArpTableHoldsTheOthersMac() {
        MacAddress redMac = MacAddress.parse(macOf(red));
        MacAddress blueMac = MacAddress.parse(macOf(blue));
        String redNeigh = Cmd.inNs(red, 10, "ip", "neigh", "show", "192.168.15.2").out();
        String blueNeigh = Cmd.inNs(blue, 10, "ip", "neigh", "show", "192.168.15.1").out();
        assertTrue(redNeigh.contains("lladdr " + blueMac), "red's ARP table: " + redNeigh);
        assertTrue(blueNeigh.contains("lladdr " + redMac), "blue's ARP table: " + blueNeigh);
        // The bridge learned both stations on their own ports.
        List<FdbEntry> fdb = lab.dataplane().fdb(SeedLab.BRIDGE);
        assertTrue(fdb.contains(new FdbEntry(redMac, red, false, 0, null)) || fdb.stream()
                .anyMatch(e -> e.mac().equals(redMac) && e.port().equals(red)), "fdb: " + fdb);
        assertTrue(fdb.stream().anyMatch(e -> e.mac().equals(blueMac) && e.port().equals(blue)), "fdb: " + fdb);
    }

    private static String macOf(String ns) {
        Matcher m = Pattern.compile("link/ether ([0-9a-f:]{17})").matcher(Cmd.inNs(ns, 10, "ip", "link", "show",
                SeedLab.INTERFACE).out());
        assertTrue(m.find(), "no MAC on " + ns);
        return m.group(1);
    }

    @Test
    @Order(3)
    void ncServerInEachNamespaceIsReachedFromTheOther() throws Exception {
        byte[] toBlue = "hello blue, this is red\n".getBytes();
        assertArrayEquals(toBlue, transfer(red, blue, "192.168.15.2", toBlue));
        byte[] toRed = "hello red, this is blue\n".getBytes();
        assertArrayEquals(toRed, transfer(blue, red, "192.168.15.1", toRed));
    }

    @Test
    @Order(4)
    void largeTransferArrivesByteIdentical() throws Exception {
        byte[] data = new byte[32 * 1024 * 1024];
        new Random(2).nextBytes(data);
        byte[] received = transfer(red, blue, "192.168.15.2", data);
        assertEquals(data.length, received.length, "bytes received");
        assertArrayEquals(sha256(data), sha256(received), "SHA-256 of what arrived");
    }

    @Test
    @Order(6)
    void theGatewayAnswersAndLanIsReachedThroughMasquerade() {
        for (String ns : List.of(red, blue)) {
            Cmd.Result r = Cmd.inNs(ns, 20, "ping", "-c", "2", "-W", "2", SeedLab.GATEWAY);
            assertTrue(r.out().contains("2 received"), ns + ": " + r);
        }
        // lan has no route back to 192.168.15.0/24: the replies find their way because of MASQUERADE.
        Cmd.Result r = Cmd.inNs(blue, 20, "ping", "-c", "3", "-W", "2", "192.168.1.3");
        assertTrue(r.out().contains("3 received"), r.toString());
    }

    @Test
    @Order(5)
    void portCountersShowTheTrafficAndNoDrops() {
        long sent = 32L * 1024 * 1024;
        List<PortStats> all = lab.dataplane().portStats();
        PortStats r = all.stream().filter(p -> p.name().equals(red)).findFirst().orElseThrow();
        PortStats b = all.stream().filter(p -> p.name().equals(blue)).findFirst().orElseThrow();
        assertTrue(r.rxBytes() > sent, "red's port received the 32 MiB red sent: " + r);
        assertTrue(b.txBytes() > sent, "blue's port delivered them to blue: " + b);
        assertTrue(b.rxFrames() > 0 && r.txFrames() > 0, "and the acknowledgments came back: " + b + " " + r);
        for (PortStats p : List.of(r, b)) {
            assertEquals(0L, p.drops().getOrDefault("tx-error", 0L), p.name() + " drops " + p.drops());
            assertEquals(0L, p.drops().getOrDefault("internal-error", 0L), p.name() + " drops " + p.drops());
        }
        var totals = lab.dataplane().pipelineCounters();
        assertEquals(totals.get("received"), totals.get("forwarded") + totals.get("flooded") + totals.get("dropped")
                + totals.get("consumed") + totals.get("local"), "every frame accounted for: " + totals);
    }

    /** Runs {@code nc -l 8080} in {@code serverNs}, sends {@code data} from {@code clientNs}; returns what arrived. */
    static byte[] transfer(String clientNs, String serverNs, String serverAddress, byte[] data) throws Exception {
        return Transfer.tcp(clientNs, serverNs, serverAddress, 8080, data);
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
