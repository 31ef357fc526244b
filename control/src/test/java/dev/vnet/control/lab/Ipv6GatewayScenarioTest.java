package dev.vnet.control.lab;

import dev.vnet.control.testing.Await;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.topology.TopologyFile;
import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.MacAddr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dual-stack bridge with the kernel's own IPv6 in the namespaces: red (fd00:15::1) and blue (fd00:15::2) on
 * v-net-0, whose gateway has fd00:15::5/64 beside 192.168.15.5/24. They ping each other over IPv6 (switched); red's
 * kernel resolves the gateway by neighbour discovery, learns it is a router, and gets answers to pings on its global
 * and its link-local address.
 */
class Ipv6GatewayScenarioTest {
    private static ScenarioLab net;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "ping");
        net = ScenarioLab.up(TopologyFile.parse("dual-stack", """
                bridges:
                  - name: v-net-0
                    gateway: [192.168.15.5/24, fd00:15::5/64]
                namespaces:
                  - { name: red, bridge: v-net-0, address: [192.168.15.1/24, fd00:15::1/64] }
                  - { name: blue, bridge: v-net-0, address: [192.168.15.2/24, fd00:15::2/64] }
                """));
        for (String ns : new String[] {"red", "blue"}) {
            // The link-local address the kernel gave the interface passes duplicate address detection first.
            Await.until(10_000, () -> Cmd.inNs(net.ns(ns), 5, "ip", "-6", "addr", "show", "dev", "eth0").out(),
                    out -> out.contains("fe80::") && !out.contains("tentative"));
        }
    }

    @AfterAll
    static void down() throws IOException {
        if (net != null) {
            net.close();
        }
        LeakCheck.assertNoLeaks();
    }

    private static void pings(String from, String to) {
        Cmd.Result r = Cmd.inNs(net.ns(from), 20, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "3", to);
        assertEquals(0, r.exit(), from + " pings " + to + ": " + r);
    }

    @Test
    void redAndBluePingEachOtherOverIpv6() {
        pings("red", "fd00:15::2");
        pings("blue", "fd00:15::1");
    }

    @Test
    void theGatewayAnswersNeighbourDiscoveryAndPingsOnItsGlobalAndLinkLocalAddresses() {
        pings("red", "fd00:15::5");
        String neigh = Cmd.inNs(net.ns("red"), 5, "ip", "-6", "neigh", "show", "fd00:15::5", "dev", "eth0").out();
        Matcher m = Pattern.compile("lladdr (\\S+) router").matcher(neigh);
        assertTrue(m.find(), "red's kernel resolved the gateway and took it for a router (the R flag): " + neigh);
        Ipv6Address linkLocal = Ipv6Address.linkLocal(MacAddr.parse(m.group(1)));
        pings("red", linkLocal + "%eth0");
        assertEquals(0, net.dataplane().portStats().stream().filter(p -> p.name().equals("gw:v-net-0"))
                .findFirst().orElseThrow().drops().getOrDefault(DropReason.NDP_INVALID.label(), 0L),
                "nothing the kernel sent the gateway was refused as invalid neighbour discovery");
    }
}
