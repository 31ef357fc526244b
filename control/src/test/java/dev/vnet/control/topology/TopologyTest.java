package dev.vnet.control.topology;

import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopologyTest {
    private static NamespaceSpec ns(String name, String bridge, String ifname, String cidr, int mtu) {
        return new NamespaceSpec(name, bridge, ifname, Ipv4Cidr.parse(cidr), mtu);
    }

    @Test
    void seedLabIsValidAndIsTheSeedsNetwork() {
        Topology t = SeedLab.topology();
        assertEquals(List.of(), t.problems());
        assertEquals("v-net-0", t.bridges().get(0).name());
        assertEquals("red", t.namespaces().get(0).name());
        assertEquals("192.168.15.1/24", t.namespaces().get(0).address().toString());
        assertEquals("blue", t.namespaces().get(1).name());
        assertEquals("192.168.15.2/24", t.namespaces().get(1).address().toString());
    }

    @Test
    void prefixRenamesNamespacesOnly() {
        Topology t = SeedLab.topology().withPrefix("lab1-");
        assertEquals("lab1-red", t.namespaces().get(0).name());
        assertEquals("v-net-0", t.namespaces().get(0).bridge());
        assertEquals(List.of(), t.problems());
    }

    @Test
    void everyProblemIsReportedWithWhereItIs() {
        Topology t = new Topology("test topology",
                List.of(new BridgeSpec("br0", BridgeOptions.defaults()), new BridgeSpec("br0", BridgeOptions.defaults())),
                List.of(
                        ns("a", "br0", "eth0", "10.0.0.1/24", 1500),
                        ns("a", "br0", "eth0", "10.0.0.2/24", 1500),
                        ns("b", "nope", "eth0", "10.0.0.3/24", 1500),
                        ns("c", "br0", "an-interface-name-too-long", "10.0.0.4/24", 1500),
                        ns("d", "br0", "eth0", "10.0.1.5/24", 1500),
                        ns("e", "br0", "eth0", "10.0.0.1/24", 1500),
                        ns("f", "br0", "eth0", "10.0.0.255/24", 1500),
                        ns("g", "br0", "eth0", "10.0.0.7/24", 40),
                        ns("bad/name", "br0", "eth0", "10.0.0.8/24", 1500)));
        List<String> problems = t.problems();
        assertEquals(List.of(
                "bridge br0: name is used twice",
                "namespace a: name is used twice",
                "namespace b: bridge 'nope' is not defined",
                "namespace c: interface: interface name 'an-interface-name-too-long' must be 1 to 15 characters",
                "namespace d: address 10.0.1.5/24 is not in the subnet 10.0.0.0/24 of bridge br0",
                "namespace e: address 10.0.0.1/24 is already used by namespace a",
                "namespace f: address 10.0.0.255/24 is the subnet's network or broadcast address",
                "namespace g: mtu 40 is outside 68..65535",
                "namespace bad/name: name must be 1-64 letters, digits, '_', '.', '-' and not start with '.' or '-'"),
                problems);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, t::validate);
        assertTrue(e.getMessage().startsWith("test topology is not valid:\n  bridge br0: name is used twice"),
                e.getMessage());
    }

    @Test
    void seedLabHasTheGatewayDefaultRoutesAndTheLanUplink() {
        Topology t = SeedLab.topology();
        assertEquals("192.168.15.5/24", t.bridges().get(0).gateways().get(0).toString());
        assertEquals(dev.vnet.dataplane.wire.Ipv4Addr.parse("192.168.15.5"), t.namespaces().get(0).defaultGateway());
        UplinkSpec u = t.uplinks().get(0);
        assertEquals("lan", u.namespace());
        assertEquals("192.168.1.3/24", u.hostAddress().toString());
        assertEquals("192.168.1.2/24", u.routerAddress().toString());
        assertEquals(List.of("red", "blue", "lan"), t.namespaceNames());
        assertEquals(List.of("lab-red", "lab-blue", "lab-lan"), t.withPrefix("lab-").namespaceNames());
    }

    @Test
    void routingProblemsAreReportedWithWhereTheyAre() {
        int gw = dev.vnet.dataplane.wire.Ipv4Addr.parse("10.9.9.9");
        Topology t = new Topology("routed topology",
                List.of(new BridgeSpec("br0", BridgeOptions.defaults(), List.of(Ipv4Cidr.parse("10.0.0.5/24"),
                        Ipv4Cidr.parse("10.0.1.5/24")))),
                List.of(new NamespaceSpec("a", "br0", "eth0", Ipv4Cidr.parse("10.0.0.5/24"), 1500, gw)),
                List.of(new UplinkSpec("up", "lan", "eth0", Ipv4Cidr.parse("10.0.0.9/24"),
                                Ipv4Cidr.parse("10.0.0.10/24"), 1500),
                        new UplinkSpec("up2", "a", "eth0", Ipv4Cidr.parse("172.16.0.1/24"),
                                Ipv4Cidr.parse("172.16.1.2/24"), 1500)),
                List.of(new RouteSpec(Ipv4Cidr.parse("198.51.100.1/24"), dev.vnet.dataplane.wire.Ipv4Addr
                        .parse("203.0.113.1"))));
        assertEquals(List.of(
                "bridge br0: gateway 10.0.1.5/24 is not in the subnet of gateway 10.0.0.5/24",
                "namespace a: address 10.0.0.5/24 is already used by bridge br0 gateway",
                "namespace a: default gateway 10.9.9.9 is not in its subnet 10.0.0.0/24",
                "uplink up: subnet of 10.0.0.10/24 overlaps 10.0.0.5/24",
                "uplink up2: namespace: name is used twice",
                "uplink up2: host address 172.16.0.1/24 and router address 172.16.1.2/24 are not in one subnet",
                "route 198.51.100.1/24: has host bits set (did you mean 198.51.100.0/24?)",
                "route 198.51.100.1/24: gateway 203.0.113.1 is not on any subnet the router is connected to"),
                t.problems());
    }

    @Test
    void overlappingBridgeSubnetsAreRefused() {
        Topology t = new Topology("two bridges",
                List.of(new BridgeSpec("br0", BridgeOptions.defaults(), List.of(Ipv4Cidr.parse("10.0.0.1/16"))),
                        new BridgeSpec("br1", BridgeOptions.defaults(), List.of(Ipv4Cidr.parse("10.0.5.1/24")))),
                List.of());
        assertEquals(List.of("bridge br1: subnet 10.0.5.0/24 overlaps bridge br0's 10.0.0.0/16"), t.problems());
    }

    @Test
    void addressesParseWithClearErrors() {
        assertEquals("192.168.15.1/24", Ipv4Cidr.parse("192.168.15.1/24").toString());
        assertEquals("address '192.168.15.1' needs a prefix length, e.g. 192.168.15.1/24",
                assertThrows(IllegalArgumentException.class, () -> Ipv4Cidr.parse("192.168.15.1")).getMessage());
        assertEquals("address '192.168.15.1/33': prefix length 33 is outside 0..32",
                assertThrows(IllegalArgumentException.class, () -> Ipv4Cidr.parse("192.168.15.1/33"))
                        .getMessage());
        assertEquals("not an IPv4 address: '192.168.15.300'",
                assertThrows(IllegalArgumentException.class, () -> Ipv4Cidr.parse("192.168.15.300/24"))
                        .getMessage());
    }
}
