package dev.vnet.control.topology;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The topology file's {@code policy}: the issue's form read, checked with FILE:LINE messages, written back. */
class PolicyTopologyTest {
    private static final String SEED_WITH_POLICY = SeedLab.text() + """

            policy:
              default: accept
              rules:
                - { from: red, to: lan, action: reject }
                - { from: uplink, to: 192.168.15.0/24, protocol: tcp, port: 22, action: drop, log: true }
                - { from: uplink, protocol: tcp, port: 8000-8010, forwarded: true, state: new, action: accept }
            """;

    private static String problems(String yaml) {
        return String.join("\n", assertThrows(TopologyException.class,
                () -> TopologyFile.parse("lab.yaml", yaml)).problems());
    }

    @Test
    void theIssuesFormIsReadAndWrittenBack() throws Exception {
        Topology t = TopologyFile.parse("lab.yaml", SEED_WITH_POLICY);
        PolicySpec p = t.policy();
        assertEquals("accept", p.defaultAction());
        assertEquals(List.of("from red to lan reject", "from uplink to 192.168.15.0/24 tcp port 22 drop log",
                "from uplink tcp port 8000-8010 state new forwarded accept"),
                p.rules().stream().map(PolicySpec.Rule::describe).toList());
        Topology back = TopologyFile.parse("back", TopologyDocument.yaml(TopologyDocument.tree(t), "written"));
        assertEquals(p, back.policy());
        assertEquals("from lab-red to lab-lan reject", t.withPrefix("lab-").policy().rules().get(0).describe(),
                "names follow --prefix, the uplink's namespace too");
    }

    @Test
    void mistakesAreNamedWithTheirLine() {
        String yaml = SeedLab.text() + """

                policy:
                  default: maybe
                  rules:
                    - { from: purple, action: reject }
                    - { to: lan, port: 22, action: drop }
                    - { from: 192.168.15.0/24, to: fd00::/64, action: accept }
                    - { from: red, action: permit, state: established }
                """;
        String all = problems(yaml);
        int at = java.util.Arrays.asList(yaml.split("\n")).indexOf("policy:") + 1; // the policy key's line
        assertTrue(at > 60, "found the policy key at line " + at);
        assertTrue(all.contains("policy: default: 'maybe' is not one of [accept, drop, reject]"), all);
        assertTrue(all.contains("lab.yaml:" + (at + 3) + ": policy rule 1: from: 'purple' is not a namespace, a "
                + "bridge with a gateway, an uplink or an address prefix"), all);
        assertTrue(all.contains("lab.yaml:" + (at + 4) + ": policy rule 2: port: a port (or ICMP type) needs a "
                + "protocol, as in nft"), all);
        assertTrue(all.contains("policy rule 3: from 192.168.15.0/24 and to fd00::/64 are of two families"), all);
        assertTrue(all.contains("policy rule 4: action: 'permit' is not one of [accept, drop, reject]"), all);
        assertTrue(all.contains("policy rule 4: state: 'established' is not one of [new, invalid]"), all);
    }

    @Test
    void rejectWithIsReadWrittenBackAndChecked() throws Exception {
        Topology t = TopologyFile.parse("lab.yaml", SeedLab.text() + """

                policy:
                  rules:
                    - { from: red, to: lan, action: reject, reject-with: admin-prohibited }
                """);
        assertEquals("from red to lan reject with admin-prohibited", t.policy().rules().get(0).describe());
        Topology back = TopologyFile.parse("back", TopologyDocument.yaml(TopologyDocument.tree(t), "written"));
        assertEquals(t.policy(), back.policy());
        String all = problems(SeedLab.text() + """

                policy:
                  rules:
                    - { from: red, action: drop, reject-with: admin-prohibited }
                    - { from: red, action: reject, reject-with: go-away }
                    - { from: red, protocol: udp, action: reject, reject-with: tcp-reset }
                """);
        assertTrue(all.contains("policy rule 1: reject-with: only a reject answers (action is 'drop')"), all);
        assertTrue(all.contains("policy rule 2: reject-with: 'go-away' is not one of [tcp-reset, port-unreachable,"
                + " admin-prohibited]"), all);
        assertTrue(all.contains("policy rule 3: reject-with: tcp-reset needs protocol: tcp"), all);
    }

    @Test
    void filterSwitchedIsReadWrittenBackAndNeedsAGateway() throws Exception {
        Topology t = TopologyFile.parse("lab.yaml", SeedLab.text().replace("    fdb-max: 8192",
                "    fdb-max: 8192\n    filter-switched: true") + """

                policy:
                  rules:
                    - { from: red, to: blue, protocol: tcp, port: 22, action: reject }
                """);
        assertTrue(t.bridges().get(0).filterSwitched(), "read");
        Topology back = TopologyFile.parse("back", TopologyDocument.yaml(TopologyDocument.tree(t), "written"));
        assertTrue(back.bridges().get(0).filterSwitched(), "written back");
        String all = problems("""
                bridges:
                  - { name: sw, filter-switched: true }
                """);
        assertTrue(all.contains("bridge sw: filter-switched: needs a gateway"), all);
    }

    @Test
    void aNamespaceOnABridgeWithoutAGatewayIsNoRoutedEndpoint() {
        String all = problems("""
                bridges:
                  - { name: sw, mac-aging: 300 }
                  - { name: br, gateway: 10.0.0.1/24 }
                namespaces:
                  - { name: x, bridge: sw, address: 10.9.0.2/24 }
                  - { name: y, bridge: br, address: 10.0.0.2/24 }
                policy:
                  rules:
                    - { from: x, to: y, action: drop }
                """);
        assertTrue(all.contains("policy rule 1: from: namespace x is on bridge sw, which has no gateway"), all);
    }
}
