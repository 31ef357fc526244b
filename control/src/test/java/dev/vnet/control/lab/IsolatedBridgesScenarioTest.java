package dev.vnet.control.lab;

import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.topology.TopologyFile;
import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.testing.LeakCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two isolated bridges behind one gateway (Docker's isolation between user networks): a on net-a and b on net-b
 * cannot reach each other, over IPv4 or IPv6, while both reach lan through the uplink; the isolation's drops are
 * counted as policy-drop and listed by {@code vnet policy list}.
 */
class IsolatedBridgesScenarioTest {
    private static ScenarioLab net;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "ping");
        net = ScenarioLab.up(TopologyFile.parse("isolated", """
                bridges:
                  - { name: net-a, gateway: [10.1.0.1/24, fd00:a::1/64], isolated: true }
                  - { name: net-b, gateway: [10.2.0.1/24, fd00:b::1/64], isolated: true }
                namespaces:
                  - name: a
                    bridge: net-a
                    address: [10.1.0.2/24, fd00:a::2/64]
                    default-route: [10.1.0.1, fd00:a::1]
                  - name: b
                    bridge: net-b
                    address: [10.2.0.2/24, fd00:b::2/64]
                    default-route: [10.2.0.1, fd00:b::1]
                uplinks:
                  - { name: uplink, namespace: lan, address: 192.168.1.3/24, router-address: 192.168.1.2/24 }
                masquerade:
                  - { source: 10.0.0.0/8, out: uplink }
                """));
        net.awaitIpv6("a", "b");
    }

    @AfterAll
    static void down() throws IOException {
        if (net != null) {
            net.close();
        }
        LeakCheck.assertNoLeaks();
    }

    private static Cmd.Result ping(String from, String to) {
        return Cmd.inNs(net.ns(from), 15, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", to);
    }

    @Test
    void theBridgesCannotReachEachOtherButBothReachLan() {
        assertEquals(0, ping("a", "192.168.1.3").exit(), "a reaches lan");
        assertEquals(0, ping("b", "192.168.1.3").exit(), "b reaches lan");
        assertTrue(ping("a", "10.2.0.2").exit() != 0, "a does not reach b");
        assertTrue(ping("b", "10.1.0.2").exit() != 0, "b does not reach a");
        assertTrue(ping("a", "fd00:b::2").exit() != 0, "nor over IPv6");
        long drops = net.dataplane().portStats().stream().mapToLong(p -> p.drops()
                .getOrDefault(DropReason.POLICY_DROP.label(), 0L)).sum();
        assertTrue(drops >= 3, "counted as policy-drop: " + drops);
        CliRun list = CliRun.of("policy", "list", "--state-dir=" + net.stateDir());
        assertTrue(list.out().contains("isolation: from net-a to net-b drop")
                && list.out().contains("isolation: from net-b to net-a drop"), list.out());
    }
}
