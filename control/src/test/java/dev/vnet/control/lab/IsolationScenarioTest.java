package dev.vnet.control.lab;

import dev.vnet.control.api.ControlServer;
import dev.vnet.control.testing.Await;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.topology.BridgeSpec;
import dev.vnet.control.topology.NamespaceSpec;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.control.topology.Topology;
import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.api.PortStats;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the topology does not allow does not happen: two bridges without a router exchange nothing, the outside (lan)
 * reaches the inside only through the forwarded port, the API socket is root's alone, and vnet listens on no TCP
 * port unless told to (and then on loopback).
 */
class IsolationScenarioTest {
    private static ScenarioLab seed;
    private static ScenarioLab islands;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "ping", "nc", "ss", "curl", "setpriv");
        seed = ScenarioLab.up(SeedLab.topology());
        // Two bridges, one namespace on each, no gateway: two separate switches.
        Topology twoSwitches = new Topology("two switches",
                List.of(new BridgeSpec("brA", BridgeOptions.defaults()), new BridgeSpec("brB", BridgeOptions.defaults())),
                List.of(new NamespaceSpec("x", "brA", "eth0", Ipv4Cidr.parse("198.51.100.1/24"), 1500),
                        new NamespaceSpec("y", "brB", "eth0", Ipv4Cidr.parse("203.0.113.2/24"), 1500)));
        islands = ScenarioLab.up(twoSwitches);
    }

    @AfterAll
    static void down() throws IOException {
        for (ScenarioLab lab : new ScenarioLab[] {seed, islands}) {
            if (lab != null) {
                lab.close();
            }
        }
        LeakCheck.assertNoLeaks();
    }

    private static PortStats stats(ScenarioLab lab, String port) {
        return lab.dataplane().portStats().stream().filter(p -> p.name().equals(port)).findFirst().orElseThrow();
    }

    @Test
    void twoBridgesWithoutARouterExchangeNothing() {
        // x believes y is on its link, so it ARPs for it on brA: the broadcasts must stay on brA.
        Cmd.inNs(islands.ns("x"), 10, "ip", "route", "add", "203.0.113.0/24", "dev", "eth0").assertOk();
        long yBefore = stats(islands, islands.ns("y")).txFrames();
        long xSent = stats(islands, islands.ns("x")).rxFrames();
        Cmd.Result ping = Cmd.inNs(islands.ns("x"), 15, "ping", "-c", "3", "-i", "0.2", "-W", "1", "203.0.113.2");
        assertFalse(ping.ok(), "x cannot reach y: " + ping);
        assertTrue(stats(islands, islands.ns("x")).rxFrames() > xSent, "x did send (ARP requests)");
        assertEquals(yBefore, stats(islands, islands.ns("y")).txFrames(), "not one of x's frames (not even its ARP "
                + "broadcasts) was sent to y");
    }

    @Test
    void theOutsideReachesTheInsideOnlyThroughTheForwardedPort() throws Exception {
        // blue listens on 80 (forwarded) and 22 (not forwarded); lan tries both at the uplink's address, and blue's
        // own address directly (lan has no route to it; with one added, vnet would route as any router would, so
        // the seed lab's lan has none).
        Path got = Files.createTempFile("vnet-iso", ".out");
        Process ssh = Cmd.startInNs(seed.ns("blue"), got, "nc", "-l", "22");
        try {
            assertTrue(Cmd.waitForListener(seed.ns("blue"), "tcp", 22));
            Cmd.Result toUplink22 = Cmd.inNs(seed.ns("lan"), 15, "sh", "-c",
                    "printf secret | nc -v -N -w 2 192.168.1.2 22");
            assertFalse(toUplink22.ok(), "uplink:22 is not forwarded " + toUplink22);
            assertTrue(toUplink22.err().contains("refused"), "the probe reached vnet, whose router refused it (a TCP "
                    + "reset), as a host with nothing listening does: " + toUplink22);
            Cmd.Result direct = Cmd.inNs(seed.ns("lan"), 15, "sh", "-c", "printf secret | nc -N -w 2 192.168.15.2 22");
            assertFalse(direct.ok(), "blue's own address is not reachable from lan " + direct);
            // Proof that the listener would have seen the probes: it takes one connection, and the first that
            // reaches it now is red's, from blue's own bridge; had a probe got through, red's would find no
            // listener, and the file would hold 'secret'.
            Cmd.Result control = Cmd.inNs(seed.ns("red"), 15, "sh", "-c", "printf control | nc -N -w 2 192.168.15.2 22");
            assertTrue(control.ok(), "red reaches blue's port 22 (the listener was there all along): " + control);
            String seen = Await.until(5000, () -> Files.readString(got), "control"::equals);
            assertEquals("control", seen, "the listener's first and only connection was red's: nothing from lan");
        } finally {
            ssh.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            Files.deleteIfExists(got);
        }
    }

    @Test
    void theApiSocketIsRootsAlone() throws Exception {
        Path socket = seed.stateDir().resolve(ControlServer.SOCKET_NAME);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals("root", Files.getOwner(socket).getName());
        Cmd.Result asRoot = Cmd.run(10, "curl", "-sf", "--unix-socket", socket.toString(), "http://vnet/stats");
        assertTrue(asRoot.ok() && asRoot.out().contains("pipeline"), "root is answered: " + asRoot);
        Cmd.Result asNobody = Cmd.run(10, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "curl",
                "-sf", "--unix-socket", socket.toString(), "http://vnet/stats");
        assertFalse(asNobody.ok(), "anyone else is refused: " + asNobody);
        assertFalse(asNobody.out().contains("pipeline"));
    }

    @Test
    void noTcpListenerUnlessConfigured() throws Exception {
        long pid = ProcessHandle.current().pid();
        Cmd.Result listeners = Cmd.run(10, "ss", "-Hltnp");
        assertTrue(listeners.ok(), listeners.toString());
        assertFalse(listeners.out().contains("pid=" + pid + ","), "vnet listens on no TCP port: " + listeners.out());
        // Asked for metrics by port alone, it listens on loopback only.
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        try (var metrics = dev.vnet.control.api.MetricsServer.start(
                dev.vnet.control.api.MetricsServer.address(Integer.toString(port)), seed.dataplane())) {
            List<String> local = Cmd.run(10, "ss", "-Hltnp").out().lines()
                    .filter(l -> l.contains("pid=" + pid + ","))
                    .map(l -> l.trim().split("\\s+")[3]).toList();
            assertEquals(1, local.size(), "one listener: " + local);
            assertTrue(local.get(0).matches("(\\[::ffff:)?127\\.0\\.0\\.1]?:" + port), "on loopback only: " + local);
        }
    }
}
