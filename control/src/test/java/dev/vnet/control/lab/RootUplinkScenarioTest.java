package dev.vnet.control.lab;

import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.topology.BridgeSpec;
import dev.vnet.control.topology.NamespaceSpec;
import dev.vnet.control.topology.Topology;
import dev.vnet.control.topology.UplinkSpec;
import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An uplink left in the root namespace: the host itself is the far side. Only documentation ranges are used
 * (198.51.100.0/24 on the uplink, 203.0.113.0/24 behind vnet), on a TAP named with this run's prefix; the interface,
 * its address and the route through it vanish with vnet.
 */
class RootUplinkScenarioTest {
    private String prefix;
    private String uplinkName;
    private Path stateDir;
    private Lab lab;

    @AfterEach
    void cleanUp() throws Exception {
        if (lab != null) {
            lab.close();
        }
        if (prefix != null) {
            Cmd.deleteNamespaces(prefix);
            assertFalse(Cmd.links().contains(uplinkName), "the root-namespace TAP is gone");
            assertTrue(Cmd.run(10, "ip", "route", "show", "203.0.113.0/24").out().isBlank(),
                    "the route through it is gone");
        }
        if (stateDir != null) {
            Files.deleteIfExists(stateDir.resolve("state"));
            Files.deleteIfExists(stateDir);
        }
    }

    @Test
    void theHostReachesANamespaceThroughARootNamespaceUplink() throws Exception {
        RootScenario.require("ip", "ping");
        prefix = RootScenario.uniquePrefix();
        uplinkName = prefix.replace("-", "") + "up";
        stateDir = Files.createTempDirectory("vnet-state");
        Topology t = new Topology("root uplink",
                List.of(new BridgeSpec("br0", BridgeOptions.defaults(), List.of(Ipv4Cidr.parse("203.0.113.1/24")))),
                List.of(new NamespaceSpec("a", "br0", "eth0", Ipv4Cidr.parse("203.0.113.2/24"), 1500,
                        parse("203.0.113.1"))),
                List.of(new UplinkSpec("uplink", null, uplinkName, Ipv4Cidr.parse("198.51.100.1/24"),
                        Ipv4Cidr.parse("198.51.100.2/24"), 1500)),
                List.of()).withPrefix(prefix);
        lab = Lab.up(t, stateDir, new IpRoute2());
        assertTrue(Cmd.links().contains(uplinkName), "the uplink's TAP is in the root namespace");
        Cmd.Result toRouter = Cmd.run(15, "ping", "-c", "2", "-W", "2", "198.51.100.2");
        assertTrue(toRouter.out().contains("2 received"), "the host pings vnet's router: " + toRouter);
        Cmd.run(10, "ip", "route", "add", "203.0.113.0/24", "via", "198.51.100.2", "dev", uplinkName).assertOk();
        Cmd.Result toNs = Cmd.run(15, "ping", "-c", "2", "-W", "2", "203.0.113.2");
        assertTrue(toNs.out().contains("2 received"), "the host reaches the namespace through vnet: " + toNs);
        Cmd.Result fromNs = Cmd.inNs(prefix + "a", 15, "ping", "-c", "2", "-W", "2", "198.51.100.1");
        assertTrue(fromNs.out().contains("2 received"), "and the namespace reaches the host: " + fromNs);
    }
}
