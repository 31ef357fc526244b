package dev.vnet.control.lab;

import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.topology.BridgeSpec;
import dev.vnet.control.topology.NamespaceSpec;
import dev.vnet.control.topology.Topology;
import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.api.PortStats;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One port's trouble (its namespace deleted, its link down) is counted and never stops the other ports. */
class PortFailureScenarioTest {
    private String prefix;
    private Lab lab;
    private Path stateDir;

    private static Topology threeOnOneBridge(String prefix) {
        return new Topology("three namespaces",
                List.of(new BridgeSpec("br0", BridgeOptions.defaults())),
                List.of(
                        new NamespaceSpec("a", "br0", "eth0", Ipv4Cidr.parse("198.51.100.1/24"), 1500),
                        new NamespaceSpec("b", "br0", "eth0", Ipv4Cidr.parse("198.51.100.2/24"), 1500),
                        new NamespaceSpec("c", "br0", "eth0", Ipv4Cidr.parse("198.51.100.3/24"), 1500)))
                .withPrefix(prefix);
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (lab != null) {
            lab.close();
        }
        if (prefix != null) {
            Cmd.deleteNamespaces(prefix);
            assertFalse(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(prefix)), "namespaces removed");
        }
        if (stateDir != null) {
            Files.deleteIfExists(stateDir.resolve("state"));
            Files.deleteIfExists(stateDir);
        }
        LeakCheck.assertNoLeaks();
    }

    private void upThreeNamespaces() throws Exception {
        RootScenario.require("ip", "ping");
        prefix = RootScenario.uniquePrefix();
        stateDir = Files.createTempDirectory("vnet-state");
        lab = Lab.up(threeOnOneBridge(prefix), stateDir, new IpRoute2());
    }

    @Test
    void aDeletedNamespaceTakesOnlyItsPortAway() throws Exception {
        upThreeNamespaces();
        assertTrue(ping(prefix + "a", "198.51.100.3"), "a reaches c before");
        String tapOfC = lab.dataplane().portStats().stream().filter(p -> p.name().equals(prefix + "c"))
                .findFirst().orElseThrow().device();

        Cmd.run(10, "ip", "netns", "delete", prefix + "c").assertOk();
        for (int i = 0; i < 100 && lab.dataplane().portNames().contains(prefix + "c"); i++) {
            Thread.sleep(50);
        }
        assertFalse(lab.dataplane().portNames().contains(prefix + "c"), "the port of the deleted namespace is gone");
        assertFalse(Cmd.links().contains(tapOfC));
        assertTrue(ping(prefix + "a", "198.51.100.2"), "a still reaches b");
        assertTrue(ping(prefix + "b", "198.51.100.1"), "b still reaches a");
    }

    @Test
    void writesToADownedLinkAreCountedAndTheLinkRecovers() throws Exception {
        upThreeNamespaces();
        assertTrue(ping(prefix + "a", "198.51.100.2"));

        Cmd.inNs(prefix + "b", 10, "ip", "link", "set", "eth0", "down").assertOk();
        assertFalse(ping(prefix + "a", "198.51.100.2"), "b is unreachable while its link is down");
        PortStats b = stats(prefix + "b");
        assertTrue(b.drops().getOrDefault("link-down", 0L) > 0, "writes to the downed TAP counted: " + b);
        assertTrue(ping(prefix + "a", "198.51.100.3"), "a still reaches c meanwhile");

        Cmd.inNs(prefix + "b", 10, "ip", "link", "set", "eth0", "up").assertOk();
        boolean back = false;
        for (int i = 0; i < 5 && !back; i++) {
            back = ping(prefix + "a", "198.51.100.2");
        }
        assertTrue(back, "b is reachable again once its link is up");
    }

    private PortStats stats(String port) {
        return lab.dataplane().portStats().stream().filter(p -> p.name().equals(port)).findFirst().orElseThrow();
    }

    private static boolean ping(String ns, String address) {
        return Cmd.inNs(ns, 15, "ping", "-c", "2", "-W", "2", address).ok();
    }
}
