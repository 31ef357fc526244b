package dev.vnet.control.vxlan;

import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three vnet hosts, one fabric: hosts A, B and C (namespaces on one veth underlay, {@link VxlanHosts}) each run vnet
 * with two bridges, v-net-0 on VNI 42 and v-net-1 on VNI 43, each flooding to both other hosts, and one namespace on
 * each bridge: n42 at 192.0.2.N/25 and n43 at 192.0.2.(128+N)/25 on host N. Host A alone holds v-net-0's gateway
 * (192.0.2.126) with an uplink to lan (203.0.113.3) and MASQUERADE of 192.0.2.0/25.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VxlanFabricScenarioTest {
    private static final List<String> HOSTS = List.of("A", "B", "C");
    private static VxlanHosts hosts;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "ping", "nc", "ss", "ethtool");
        hosts = new VxlanHosts("A", "B", "C");
        for (String h : HOSTS) {
            hosts.startVnet(h, topology(h));
        }
    }

    @AfterAll
    static void down() throws Exception {
        if (hosts != null) {
            hosts.close();
        }
    }

    /** Host {@code h}'s topology file. */
    private static String topology(String h) {
        int n = HOSTS.indexOf(h) + 1;
        String local = hosts.address(h);
        String remotes = String.join(", ", HOSTS.stream().filter(o -> !o.equals(h)).map(hosts::address).toList());
        boolean gateway = h.equals("A");
        StringBuilder y = new StringBuilder("bridges:\n");
        y.append("  - name: v-net-0\n");
        if (gateway) {
            y.append("    gateway: 192.0.2.126/25\n");
        }
        y.append("    vxlan: { vni: 42, local: ").append(local).append(", remotes: [").append(remotes).append("] }\n");
        y.append("  - name: v-net-1\n");
        y.append("    vxlan: { vni: 43, local: ").append(local).append(", remotes: [").append(remotes).append("] }\n");
        y.append("namespaces:\n");
        y.append("  - { name: n42, bridge: v-net-0, address: ").append(addr42(h))
                .append("/25, mtu: 1450, default-route: 192.0.2.126 }\n");
        y.append("  - { name: n43, bridge: v-net-1, address: ").append(addr43(h)).append("/25, mtu: 1450 }\n");
        if (gateway) {
            y.append("uplinks:\n");
            y.append("  - { name: uplink, namespace: lan, address: 203.0.113.3/24, router-address: 203.0.113.2/24 }\n");
            y.append("masquerade:\n");
            y.append("  - { source: 192.0.2.0/25, out: uplink }\n");
        }
        return y.toString();
    }

    private static String addr42(String h) {
        return "192.0.2." + (HOSTS.indexOf(h) + 1);
    }

    private static String addr43(String h) {
        return "192.0.2." + (129 + HOSTS.indexOf(h));
    }

    private static void pings(String fromNs, String to) {
        Cmd.Result r = Cmd.inNs(fromNs, 20, "ping", "-c", "2", "-i", "0.2", "-W", "3", to);
        assertEquals(0, r.exit(), fromNs + " reaches " + to + ": " + r);
    }

    private static void doesNotPing(String fromNs, String to) {
        Cmd.Result r = Cmd.inNs(fromNs, 20, "ping", "-c", "2", "-i", "0.2", "-W", "1", to);
        assertNotEquals(0, r.exit(), fromNs + " must not reach " + to + " (another VNI): " + r);
    }

    private static String fdb(String h) {
        CliRun fdb = hosts.cli(h, "fdb");
        assertEquals(0, fdb.exit(), "vnet fdb on host " + h + ": " + fdb.err());
        return fdb.out();
    }

    @Test
    @Order(1)
    void eachVniIsOneSegmentOverAllThreeHostsAndNothingCrossesBetweenThem() {
        for (String h : HOSTS) {
            for (String o : HOSTS) {
                if (!o.equals(h)) {
                    pings(hosts.ns(h, "n42"), addr42(o));
                    pings(hosts.ns(h, "n43"), addr43(o));
                }
            }
        }
        // Given an address in the other VNI's subnet, a namespace ARPs for that VNI's namespaces on its own
        // segment: the broadcast must reach none of them (one would answer).
        Cmd.inNs(hosts.ns("A", "n42"), 10, "ip", "addr", "add", "192.0.2.140/25", "dev", "eth0").assertOk();
        Cmd.inNs(hosts.ns("C", "n43"), 10, "ip", "addr", "add", "192.0.2.100/25", "dev", "eth0").assertOk();
        doesNotPing(hosts.ns("A", "n42"), addr43("B"));
        doesNotPing(hosts.ns("C", "n43"), addr42("A"));
        Cmd.inNs(hosts.ns("A", "n42"), 10, "ip", "addr", "del", "192.0.2.140/25", "dev", "eth0").assertOk();
        Cmd.inNs(hosts.ns("C", "n43"), 10, "ip", "addr", "del", "192.0.2.100/25", "dev", "eth0").assertOk();

        for (String h : HOSTS) {
            String table = fdb(h);
            for (String o : HOSTS) {
                if (o.equals(h)) {
                    continue;
                }
                String at = hosts.address(o);
                String mac42 = VxlanHosts.macOf(hosts.ns(o, "n42"), "eth0");
                String mac43 = VxlanHosts.macOf(hosts.ns(o, "n43"), "eth0");
                assertTrue(table.contains(mac42 + " dev vxlan42@" + at + " dst " + at + " master v-net-0"),
                        "host " + h + " learned " + o + "'s n42 behind VTEP " + at + " on v-net-0:\n" + table);
                assertTrue(table.contains(mac43 + " dev vxlan43@" + at + " dst " + at + " master v-net-1"),
                        "host " + h + " learned " + o + "'s n43 behind VTEP " + at + " on v-net-1:\n" + table);
                assertFalse(table.contains(mac42 + " dev vxlan43@") || table.contains(mac43 + " dev vxlan42@"),
                        "host " + h + " saw a MAC of one VNI on the other's tunnel:\n" + table);
            }
        }
    }

    @Test
    @Order(2)
    void namespacesOnTheOtherHostsReachLanThroughTheGatewayHostMasqueraded() throws Exception {
        for (String h : List.of("B", "C")) {
            pings(hosts.ns(h, "n42"), "203.0.113.3");
            Path said = Files.createTempFile("vnet-nc", ".err");
            try {
                Process server = new ProcessBuilder("ip", "netns", "exec", hosts.ns("A", "lan"), "nc", "-l", "-n",
                        "-v", "8080").redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(said.toFile())
                        .start();
                try {
                    assertTrue(Cmd.waitForListener(hosts.ns("A", "lan"), "tcp", 8080), "nc listening in lan");
                    Cmd.Result c = Cmd.inNs(hosts.ns(h, "n42"), 15, "sh", "-c", "echo hi | nc -N 203.0.113.3 8080");
                    assertEquals(0, c.exit(), "host " + h + "'s n42 connects to lan: " + c);
                    assertTrue(server.waitFor(10, TimeUnit.SECONDS), "the server saw the connection end");
                } finally {
                    server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
                String peer = Files.readString(said);
                assertTrue(peer.contains("Connection received on 203.0.113.2 "),
                        "lan sees host " + h + "'s namespace as the uplink address (masqueraded on host A): " + peer);
            } finally {
                Files.deleteIfExists(said);
            }
        }
    }

    @Test
    @Order(3)
    void aHostStoppedAndStartedAgainIsRelearned() throws Exception {
        hosts.stopVnet("C");
        assertTrue(Cmd.namespaces().stream().noneMatch(n -> n.startsWith(hosts.vnetPrefix("C"))),
                "vnet on host C removed its namespaces on the way out: " + Cmd.namespaces());
        doesNotPing(hosts.ns("A", "n42"), addr42("C"));

        hosts.startVnet("C", topology("C"));
        // C's namespaces are new, with new MACs: C speaks first, as a host coming back does (its ARP request also
        // updates the others' neighbour entries, which still hold the old MACs); then the others reach C.
        pings(hosts.ns("C", "n42"), addr42("A"));
        pings(hosts.ns("C", "n43"), addr43("B"));
        pings(hosts.ns("A", "n42"), addr42("C"));
        pings(hosts.ns("B", "n43"), addr43("C"));
        String mac = VxlanHosts.macOf(hosts.ns("C", "n42"), "eth0");
        String at = hosts.address("C");
        String table = fdb("A");
        assertTrue(table.contains(mac + " dev vxlan42@" + at + " dst " + at + " master v-net-0"),
                "host A relearned C's new n42 behind VTEP " + at + ":\n" + table);
    }
}
