package dev.vnet.control.topology;

import dev.vnet.control.lab.DryRun;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** IPv6 addresses in the topology file: a list per bridge gateway and namespace, written back, checked, dry run. */
class Ipv6TopologyTest {
    private static final String DUAL = """
            bridges:
              - name: v-net-0
                gateway: [192.168.15.5/24, fd00:15::5/64]
            namespaces:
              - { name: red, bridge: v-net-0, address: [192.168.15.1/24, fd00:15::1/64] }
              - { name: blue, bridge: v-net-0, address: 192.168.15.2/24 }
            """;

    private static List<String> problems(String yaml) {
        return assertThrows(TopologyException.class, () -> TopologyFile.parse("lab.yaml", yaml)).problems();
    }

    @Test
    void addressListsReadEachFamilyApart() throws Exception {
        Topology t = TopologyFile.parse("lab.yaml", DUAL);
        BridgeSpec b = t.bridges().get(0);
        assertEquals("[192.168.15.5/24]", b.gateways().toString());
        assertEquals(List.of(Ipv6Cidr.parse("fd00:15::5/64")), b.gateways6());
        NamespaceSpec red = t.namespaces().get(0);
        assertEquals("192.168.15.1/24", red.address().toString());
        assertEquals(List.of(Ipv6Cidr.parse("fd00:15::1/64")), red.addresses6());
        assertTrue(t.namespaces().get(1).addresses6().isEmpty());
    }

    @Test
    void routerAdvertisementsAreOnUnlessTurnedOff() throws Exception {
        assertTrue(TopologyFile.parse("lab.yaml", DUAL).bridges().get(0).routerAdvertisements());
        Topology off = TopologyFile.parse("lab.yaml", DUAL.replace("gateway: [192.168.15.5/24, fd00:15::5/64]",
                "gateway: [192.168.15.5/24, fd00:15::5/64]\n    router-advertisements: false"));
        assertTrue(!off.bridges().get(0).routerAdvertisements());
        Topology back = TopologyFile.parse("back", TopologyDocument.yaml(TopologyDocument.tree(off), "written"));
        assertTrue(!back.bridges().get(0).routerAdvertisements(), "written back");
    }

    @Test
    void dnsServersToAdvertiseAreReadWrittenBackAndChecked() throws Exception {
        String withDns = DUAL.replace("gateway: [192.168.15.5/24, fd00:15::5/64]",
                "gateway: [192.168.15.5/24, fd00:15::5/64]\n    rdnss: [fd00:15::53]");
        Topology t = TopologyFile.parse("lab.yaml", withDns);
        assertEquals("[fd00:15::53]", t.bridges().get(0).rdnss().toString());
        Topology back = TopologyFile.parse("back", TopologyDocument.yaml(TopologyDocument.tree(t), "written"));
        assertEquals(t.bridges().get(0).rdnss(), back.bridges().get(0).rdnss());
        String all = String.join("\n", problems("""
                bridges:
                  - name: a
                    gateway: 192.168.15.5/24
                    rdnss: [fd00:15::53]
                  - name: b
                    gateway: [192.168.16.5/24, fd00:16::5/64]
                    rdnss: [ff02::1]
                """));
        assertTrue(all.contains("bridge a: rdnss: the router advertises DNS servers only where it has an IPv6 gateway"),
                all);
        assertTrue(all.contains("bridge b: rdnss: ff02::1 is not a unicast address"), all);
        assertTrue(String.join("\n", problems(DUAL.replace("gateway: [192.168.15.5/24, fd00:15::5/64]",
                "gateway: [192.168.15.5/24, fd00:15::5/64]\n    rdnss: [fd00::zz]")))
                .contains("lab.yaml:4: bridge v-net-0: rdnss: 'fd00::zz' is not an IPv6 address"));
    }

    @Test
    void writtenBackItReadsTheSame() throws Exception {
        Topology t = TopologyFile.parse("lab.yaml", DUAL);
        String yaml = TopologyDocument.yaml(TopologyDocument.tree(t), "written");
        Topology back = TopologyFile.parse("back", yaml);
        assertEquals(t.bridges().get(0).gateways6(), back.bridges().get(0).gateways6(), yaml);
        assertEquals(t.namespaces().get(0).addresses6(), back.namespaces().get(0).addresses6(), yaml);
        assertEquals(t.namespaces().get(0).address(), back.namespaces().get(0).address(), yaml);
    }

    @Test
    void addressesThatDoNotReadAreRefusedNamingFileLineAndField() {
        String all = String.join("\n", problems("""
                bridges:
                  - name: b
                    gateway: [192.168.16.5/24, fd00:16::5/64]
                namespaces:
                  - { name: green, bridge: b, address: [192.168.16.3/24, 192.168.16.4/24] }
                  - { name: grey, bridge: b, address: [192.168.16.6/24, "fd00:16::zz/64"] }
                """));
        assertTrue(all.contains("lab.yaml:5: namespace green: address: one IPv4 address, and any IPv6 ones (got 2 "
                + "IPv4)"), all);
        assertTrue(all.contains("lab.yaml:6: namespace grey: address: 'fd00:16::zz' is not an IPv6 address"), all);
    }

    @Test
    void addressesNoInterfaceMayHaveAreRefused() {
        String all = String.join("\n", problems("""
                bridges:
                  - name: a
                    gateway: [192.168.15.5/24, fe80::5/64]
                  - name: b
                    gateway: [192.168.16.5/24, fd00:16::5/64, ff02::1/64]
                namespaces:
                  - { name: red, bridge: b, address: [192.168.16.1/24, fd00:99::1/64] }
                  - { name: blue, bridge: b, address: [192.168.16.2/24, fd00:16::5/64] }
                """));
        assertTrue(all.contains("bridge a: gateway fe80::5/64 is a link-local address"), all);
        assertTrue(all.contains("bridge b: gateway ff02::1/64 is a multicast address"), all);
        assertTrue(all.contains("namespace red: address fd00:99::1/64 is not in a prefix of bridge b's gateway"), all);
        assertTrue(all.contains("namespace blue: address fd00:16::5/64 is already used by bridge b gateway"), all);
    }

    @Test
    void aDryRunAddsTheAddressesAndTheGateway() throws Exception {
        List<String> plan = DryRun.plan(TopologyFile.parse("lab.yaml", DUAL));
        assertTrue(plan.contains("router: gateway fd00:15::5/64 on v-net-0 (IPv6: neighbour discovery and ping; "
                + "not routed)"), String.join("\n", plan));
        assertTrue(plan.contains("ip -n red -6 addr add fd00:15::1/64 dev eth0 nodad"), String.join("\n", plan));
    }
}
