package dev.vnet.control.topology;

import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.MacAddress;
import dev.vnet.dataplane.wire.Vxlan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The topology file's {@code vxlan:} block: read in its suggested form, defaults, a dry run, written back, refused. */
class VxlanTopologyTest {
    private static final String TWO_HOSTS = """
            bridges:
              - name: v-net-0
                gateway: 192.168.15.5/24
                vxlan: { vni: 42, local: 10.10.0.1, port: 4789, remotes: [10.10.0.2, 10.10.0.3], learning: true }
            namespaces:
              - { name: red, bridge: v-net-0, address: 192.168.15.1/24, mtu: 1450 }
            """;

    private static List<String> problems(String yaml) {
        return assertThrows(TopologyException.class, () -> TopologyFile.parse("lab.yaml", yaml)).problems();
    }

    @Test
    void theSuggestedFormReads() throws Exception {
        VxlanSpec v = TopologyFile.parse("lab.yaml", TWO_HOSTS).bridges().get(0).vxlan();
        assertEquals(new VxlanSpec(42, Ipv4Address.parse("10.10.0.1"), 4789,
                List.of(Ipv4Address.parse("10.10.0.2"), Ipv4Address.parse("10.10.0.3")), Map.of(), true, 0), v);
    }

    @Test
    void defaultsAreTheIanaPortAndLearningAndStaticMacsRead() throws Exception {
        VxlanSpec v = TopologyFile.parse("lab.yaml", """
                bridges:
                  - name: br
                    vxlan:
                      vni: 7
                      local: 10.10.0.1
                      remotes: []
                      static: [{ mac: "02:00:00:00:00:09", dst: 10.10.0.9 }]
                      underlay-mtu: 9000
                      any-source: true
                """).bridges().get(0).vxlan();
        assertEquals(4789, v.port(), "IANA's port unless given (the kernel's own default is 8472)");
        assertTrue(v.learning());
        assertEquals(Map.of(MacAddress.parse("02:00:00:00:00:09"), Ipv4Address.parse("10.10.0.9")), v.staticMacs());
        assertEquals(8950, Vxlan.innerMtu(v.underlayMtu()));
        assertTrue(v.anySource(), "any-source read");
        assertTrue(!TopologyFile.parse("lab.yaml", TWO_HOSTS).bridges().get(0).vxlan().anySource(),
                "only the configured VTEPs unless any-source is given");
    }

    @Test
    void aDryRunShowsTheTunnel() throws Exception {
        List<String> plan = dev.vnet.control.lab.DryRun.plan(TopologyFile.parse("lab.yaml", TWO_HOSTS));
        assertTrue(plan.contains("bridge v-net-0: vxlan id 42 local 10.10.0.1 dstport 4789, flood to 10.10.0.2 "
                + "10.10.0.3, learning on, underlay mtu from the interface that holds 10.10.0.1"), String.join("\n", plan));
        assertTrue(plan.contains("vnet: VTEP on udp 10.10.0.1:4789 (a socket per event loop, and send sockets on "
                + "ephemeral ports)"), String.join("\n", plan));
    }

    @Test
    void writtenBackItReadsTheSame() throws Exception {
        for (String yaml : List.of(TWO_HOSTS, TWO_HOSTS.replace("learning: true }", "learning: true, any-source: true }"))) {
            Topology t = TopologyFile.parse("lab.yaml", yaml);
            Topology back = TopologyFile.parse("back", TopologyDocument.yaml(TopologyDocument.tree(t), "written"));
            assertEquals(t.bridges().get(0).vxlan(), back.bridges().get(0).vxlan());
        }
    }

    @Test
    void badBlocksAreRefusedNamingFileLineAndField() {
        List<String> p = problems("""
                bridges:
                  - name: a
                    vxlan: { vni: 42, local: 10.10.0.1, remotes: [10.10.0.2], flood: yes }
                  - name: b
                    vxlan: { vni: 42, local: 10.10.0.5, remotes: [10.10.0.1, 10.10.0.1] }
                  - name: c
                    vxlan: { vni: 16777216, local: 10.10.0.1, remotes: [224.0.0.1] }
                """);
        assertTrue(p.contains("lab.yaml:3: bridge a: vxlan: unknown key 'flood' (known: vni, local, port, remotes, "
                + "static, learning, underlay-mtu, any-source)"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("lab.yaml:7: bridge c: vxlan: vni: ")), p.toString());
        List<String> q = problems("""
                bridges:
                  - name: a
                    vxlan: { vni: 42, local: 10.10.0.1, remotes: [10.10.0.2] }
                  - name: b
                    vxlan: { vni: 42, local: 10.10.0.5, remotes: [10.10.0.1, 10.10.0.1, 239.1.1.1] }
                """);
        assertTrue(q.contains("lab.yaml:4: bridge b: vxlan: vni 42 already extends bridge a"), q.toString());
        assertTrue(q.contains("lab.yaml:4: bridge b: vxlan: remotes: 10.10.0.1 is listed twice"), q.toString());
        assertTrue(q.stream().anyMatch(s -> s.startsWith("lab.yaml:4: bridge b: vxlan: local 10.10.0.5 differs from "
                + "10.10.0.1")), q.toString());
        assertTrue(q.stream().anyMatch(s -> s.startsWith("lab.yaml:4: bridge b: vxlan: remotes: 239.1.1.1 is not a "
                + "unicast address")), q.toString());
    }

    @Test
    void aNamespaceMtuThatDoesNotFitTheUnderlayIsRefused() {
        List<String> p = problems("""
                bridges:
                  - name: v-net-0
                    vxlan: { vni: 42, local: 10.10.0.1, remotes: [10.10.0.2], underlay-mtu: 1500 }
                namespaces:
                  - { name: red, bridge: v-net-0, address: 192.168.15.1/24 }
                """);
        assertEquals(List.of("lab.yaml:5: namespace red: mtu 1500 does not fit bridge v-net-0's VXLAN underlay (MTU "
                + "1500, less 50 bytes of encapsulation: at most 1450); set mtu: 1450"), p);
    }
}
