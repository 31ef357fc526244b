package dev.vnet.control.topology;

import dev.vnet.control.lab.DryRun;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a routed IPv6 topology adds to the file: IPv6 on uplinks (address and router-address lists), IPv6 routes, a
 * default route per family for a namespace; read, checked with FILE:LINE messages, written back, dry-run.
 */
class Ipv6RoutingTopologyTest {
    private static final String ROUTED = """
            bridges:
              - name: v-net-0
                gateway: [192.168.15.5/24, fd00:15::5/64]
            namespaces:
              - name: red
                bridge: v-net-0
                address: [192.168.15.1/24, fd00:15::1/64]
                default-route: [192.168.15.5, fd00:15::5]
            uplinks:
              - name: uplink
                namespace: lan
                address: [192.168.1.3/24, fd00:1::3/64]
                router-address: [192.168.1.2/24, fd00:1::2/64]
            routes:
              - { to: 2001:db8::/32, via: fd00:1::9 }
              - { to: 198.51.100.0/24, via: 192.168.1.9 }
            """;

    private static String problems(String yaml) {
        return String.join("\n", assertThrows(TopologyException.class,
                () -> TopologyFile.parse("lab.yaml", yaml)).problems());
    }

    @Test
    void uplinksRoutesAndDefaultRoutesTakeBothFamilies() throws Exception {
        Topology t = TopologyFile.parse("lab.yaml", ROUTED);
        UplinkSpec u = t.uplinks().get(0);
        assertEquals("192.168.1.3/24", u.hostAddress().toString());
        assertEquals(List.of(Ipv6Cidr.parse("fd00:1::3/64")), u.hostAddresses6());
        assertEquals(List.of(Ipv6Cidr.parse("fd00:1::2/64")), u.routerAddresses6());
        NamespaceSpec red = t.namespaces().get(0);
        assertEquals(Ipv6Address.parse("fd00:15::5"), red.defaultGateway6());
        assertEquals("[2001:db8::/32 via fd00:1::9, 198.51.100.0/24 via 192.168.1.9]", t.routes().stream()
                .map(r -> r.destination() + " via " + r.gateway()).toList().toString());
        assertTrue(t.routes().get(0).isIpv6() && !t.routes().get(1).isIpv6());
    }

    @Test
    void writtenBackItReadsTheSame() throws Exception {
        Topology t = TopologyFile.parse("lab.yaml", ROUTED);
        String yaml = TopologyDocument.yaml(TopologyDocument.tree(t), "written");
        Topology back = TopologyFile.parse("back", yaml);
        assertEquals(t.uplinks(), back.uplinks(), yaml);
        assertEquals(t.routes(), back.routes(), yaml);
        assertEquals(t.namespaces(), back.namespaces(), yaml);
    }

    @Test
    void aDryRunConfiguresTheIpv6SideToo() throws Exception {
        String plan = String.join("\n", DryRun.plan(TopologyFile.parse("lab.yaml", ROUTED)));
        assertTrue(plan.contains("ip -n red -6 route add default via fd00:15::5"), plan);
        assertTrue(plan.contains("ip -n lan -6 addr add fd00:1::3/64 dev eth0 nodad"), plan);
        assertTrue(plan.contains("router address 192.168.1.2/24, fd00:1::2/64"), plan);
        assertTrue(plan.contains("route 2001:db8::/32 via fd00:1::9"), plan);
    }

    @Test
    void mistakesAreNamedWithTheirLine() {
        String all = problems("""
                bridges:
                  - name: a
                    gateway: [192.168.15.5/24, fd00:15::5/64]
                  - name: b
                    gateway: [192.168.16.5/24, fd00:15:0:0:1::5/80]
                namespaces:
                  - name: red
                    bridge: a
                    address: [192.168.15.1/24, fd00:15::1/64]
                    default-route: [192.168.15.5, fd00:15::5]
                  - name: small
                    bridge: a
                    mtu: 1200
                    address: [192.168.15.2/24, fd00:15::2/64]
                    default-route: fd00:77::1
                uplinks:
                  - name: up
                    namespace: lan
                    mtu: 1000
                    address: [192.168.1.3/24, fd00:2::3/64]
                    router-address: [192.168.1.2/24, fd00:1::2/64]
                routes:
                  - { to: 2001:db8::1/32, via: fd00:1::9 }
                  - { to: 2001:db9::/32, via: fd00:42::1 }
                """);
        assertTrue(all.contains("namespace small: mtu 1200 is below IPv6's minimum of 1280"), all);
        assertTrue(all.contains("lab.yaml:11: namespace small: default-route fd00:77::1 is not in a prefix of the "
                + "namespace's IPv6 addresses [fd00:15::2/64]"), all);
        assertTrue(all.contains("uplink up: mtu 1000 is below IPv6's minimum of 1280"), all);
        assertTrue(all.contains("uplink up: address fd00:2::3/64 is not in a prefix of its router-address"), all);
        assertTrue(all.contains("lab.yaml:4: bridge b: IPv6 prefix of fd00:15::1:0:0:5/80 overlaps fd00:15::5/64 of "
                + "bridge a"), all);
        assertTrue(all.contains("route 2001:db8::1/32: has host bits set (did you mean 2001:db8::/32?)"), all);
        assertTrue(all.contains("route 2001:db9::/32: gateway fd00:42::1 is not on any IPv6 prefix the router is "
                + "connected to"), all);
    }

    @Test
    void aBridgesHostPortTakesIpv6AddressesToo() throws Exception {
        String yaml = """
                bridges:
                  - name: v-net-0
                    gateway: [192.168.15.5/24, fd00:15::5/64]
                    host-port: vnet-host
                    host-address: [192.168.15.9/24, fd00:15::9/64]
                """;
        Topology t = TopologyFile.parse("lab.yaml", yaml);
        assertEquals(List.of(Ipv6Cidr.parse("fd00:15::9/64")), t.bridges().get(0).hostAddresses6());
        Topology back = TopologyFile.parse("back", TopologyDocument.yaml(TopologyDocument.tree(t), "written"));
        assertEquals(t.bridges(), back.bridges());
        String plan = String.join("\n", DryRun.plan(t));
        assertTrue(plan.contains("ip -6 addr add fd00:15::9/64 dev vnet-host nodad"), plan);
        String all = problems(yaml.replace("fd00:15::9/64", "fd00:99::9/64"));
        assertTrue(all.contains("lab.yaml:2: bridge v-net-0: host-address fd00:99::9/64 is not in a prefix of bridge "
                + "v-net-0's gateway [fd00:15::5/64]"), all);
    }

    @Test
    void valuesOfTheWrongFamilyAreNamedWithTheirLine() {
        String all = problems("""
                bridges:
                  - name: a
                    gateway: [192.168.15.5/24, fd00:15::5/64]
                namespaces:
                  - name: red
                    bridge: a
                    address: [192.168.15.1/24, fd00:15::1/64]
                    default-route: [fd00:15::9, fd00:15::5]
                routes:
                  - { to: 2001:dba::/32, via: 192.168.1.9 }
                """);
        assertTrue(all.contains("lab.yaml:8: namespace red: default-route: one per family (fd00:15::5 is a second)"),
                all);
        assertTrue(all.contains("lab.yaml:10: route 2001:dba::/32: via: 192.168.1.9 is not of the destination's "
                + "family"), all);
    }
}
