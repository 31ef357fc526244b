package dev.vnet.control.lab;

import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.topology.Topology;
import dev.vnet.control.topology.TopologyFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bridge's host port: the host itself joins the bridge through a TAP left in the root namespace, as the seeds'
 * {@code ip addr add ... dev v-net-0} does with a kernel bridge. Documentation range 203.0.113.0/24 only, on an
 * interface named with this run's prefix; it vanishes with vnet.
 */
class HostPortScenarioTest {
    private String prefix;
    private String hostIf;
    private Path stateDir;
    private Lab lab;

    @AfterEach
    void cleanUp() throws Exception {
        if (lab != null) {
            lab.close();
        }
        if (prefix != null) {
            Cmd.deleteNamespaces(prefix);
            assertFalse(Cmd.links().contains(hostIf), "the host port is gone");
        }
        if (stateDir != null) {
            Files.deleteIfExists(stateDir.resolve("state"));
            Files.deleteIfExists(stateDir);
        }
    }

    @Test
    void theHostReachesANamespaceOnTheBridgeThroughItsHostPort() throws Exception {
        RootScenario.require("ip", "ping");
        prefix = RootScenario.uniquePrefix();
        hostIf = prefix.replace("-", "") + "h";
        stateDir = Files.createTempDirectory("vnet-state");
        Topology t = TopologyFile.parse("host-port.yaml", """
                bridges:
                  - name: br0
                    host-port: %s
                    host-address: [203.0.113.10/24, 2001:db8:113::10/64]
                namespaces:
                  - name: a
                    bridge: br0
                    address: [203.0.113.2/24, 2001:db8:113::2/64]
                """.formatted(hostIf)).withPrefix(prefix);
        lab = Lab.up(t, stateDir, new IpRoute2());
        assertTrue(Cmd.links().contains(hostIf));
        Cmd.Result fromHost = Cmd.run(15, "ping", "-c", "2", "-W", "2", "203.0.113.2");
        assertTrue(fromHost.out().contains("2 received"), "the host reaches a over the bridge: " + fromHost);
        Cmd.Result toHost = Cmd.inNs(prefix + "a", 15, "ping", "-c", "2", "-W", "2", "203.0.113.10");
        assertTrue(toHost.out().contains("2 received"), "and a reaches the host: " + toHost);
        // IPv6 too: the host's address on its port is added without duplicate address detection, as a's is.
        Cmd.Result six = Cmd.run(15, "ping", "-6", "-c", "2", "-W", "2", "2001:db8:113::2");
        assertTrue(six.out().contains("2 received"), "the host reaches a over IPv6: " + six);
    }
}
