package dev.vnet.control.topology;

import dev.vnet.dataplane.api.ForwardProtocol;
import dev.vnet.dataplane.l3.RouterLimits;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TopologyFileTest {
    private static List<String> problems(String yaml) {
        return assertThrows(TopologyException.class, () -> TopologyFile.parse("lab.yaml", yaml)).problems();
    }

    @Test
    void theShippedSeedLabFileIsTheSeedLab() throws Exception {
        Topology t = TopologyFile.parse("seed-lab.yaml", SeedLab.text());
        assertEquals(List.of(), t.problems());
        assertEquals(List.of("red", "blue", "lan"), t.namespaceNames());
        assertEquals("192.168.15.5/24", t.bridges().get(0).gateways().get(0).toString());
        assertEquals(1, t.masquerades().size());
        assertEquals(new PortForwardSpec(ForwardProtocol.TCP, "uplink", 80, 80,
                dev.vnet.dataplane.wire.Ipv4Addr.parse("192.168.15.2"), 80), t.forwards().get(0));
    }

    @Test
    void defaultsFillWhatAFileLeavesOut() throws Exception {
        Topology t = TopologyFile.parse("lab.yaml", """
                bridges:
                  - name: br0
                namespaces:
                  - name: a
                    bridge: br0
                    address: 10.0.0.1/24
                """);
        NamespaceSpec a = t.namespaces().get(0);
        assertEquals("eth0", a.interfaceName());
        assertEquals(1500, a.mtu());
        assertEquals(0, a.defaultGateway());
        assertEquals(8192, t.bridges().get(0).options().fdbMaxEntries());
    }

    @Test
    void limitsSetTableBoundsAndTimeoutsAndDefaultTheRest() throws Exception {
        Topology t = TopologyFile.parse("lab.yaml", """
                bridges:
                  - name: br0
                limits:
                  connections: 1000
                  timeouts:
                    udp: 10
                    tcp-established: 3600
                """);
        assertEquals(1000, t.limits().maxConnections());
        assertEquals(1024, t.limits().maxNeighbors(), "default kept");
        assertEquals(10L, t.limits().timeouts().seconds().get("udp"));
        assertEquals(3600L, t.limits().timeouts().seconds().get("tcp-established"));
        assertEquals(120L, t.limits().timeouts().seconds().get("udp-stream"), "default kept");
        assertEquals(RouterLimits.defaults(), TopologyFile.parse("lab.yaml", "bridges: []").limits());
    }

    @Test
    void badLimitsNameTheField() {
        assertEquals(List.of(
                "lab.yaml:2: limits: connections: connections 0 is outside 1..16777216",
                "lab.yaml:3: limits: unknown key 'arp' (known: connections, neighbors, routes, timeouts)",
                "lab.yaml:5: limits: timeouts: udp: 'soon' is not a whole number",
                "lab.yaml:6: limits: timeouts: unknown key 'tcp-idle' (known: tcp-syn-sent, tcp-syn-recv, "
                        + "tcp-established, tcp-fin-wait, tcp-close-wait, tcp-last-ack, tcp-time-wait, tcp-close, "
                        + "udp, udp-stream, icmp, generic)"),
                problems("""
                        limits:
                          connections: 0
                          arp: 5
                          timeouts:
                            udp: soon
                            tcp-idle: 5
                        """));
    }

    @Test
    void aWrittenTopologyReadsBackAsTheSameTopology() throws Exception {
        Topology seed = SeedLab.topology();
        Topology back = TopologyFile.parse("seed lab", TopologyDocument.yaml(seed, "written"));
        assertEquals(seed, back);
        Topology routed = TopologyFile.parse("lab.yaml", """
                bridges:
                  - name: br0
                    gateway: [10.0.0.1/24, 10.0.0.254/24]
                    host-port: vnhost0
                    host-address: 10.0.0.9/24
                  - name: br1
                    gateway: 10.1.0.1/24
                    mac-aging: 60
                    fdb-max: 100
                namespaces:
                  - {name: a, bridge: br0, address: 10.0.0.2/24, mtu: 9000, interface: veth-a, offloads: false}
                  - {name: b, bridge: br1, address: 10.1.0.2/24, default-route: 10.1.0.1}
                uplinks:
                  - {name: up, interface: vnup0, address: 10.2.0.1/30, router-address: 10.2.0.2/30, mtu: 1400,
                     offloads: no}
                routes:
                  - {to: 198.51.100.0/24, via: 10.2.0.1}
                masquerade:
                  - {source: 10.0.0.0/16, out: up}
                forwards:
                  - {protocol: both, on: up, port: 8000-8010, to: 10.1.0.2:9000}
                limits:
                  neighbors: 64
                  timeouts: {icmp: 3}
                captures:
                  - {ports: [a, up], file: /tmp/a.pcapng, filter: tcp port 80, direction: in, drops: true,
                     rotate: 10MB, keep: 3}
                  - {ports: all, file: /tmp/all.pcap}
                """);
        assertEquals(routed, TopologyFile.parse("lab.yaml", TopologyDocument.yaml(routed, "written")));
        assertFalse(routed.namespaces().get(0).offloads());
        assertTrue(routed.namespaces().get(1).offloads(), "offloads are on unless a file says otherwise");
        assertFalse(routed.uplinks().get(0).offloads());
    }

    @Test
    void capturesNamePortsFileFilterAndRotation() throws Exception {
        Topology t = TopologyFile.parse("lab.yaml", SeedLab.text() + """
                captures:
                  - ports: [blue, uplink]
                    file: /var/tmp/web.pcapng
                    filter: tcp port 80
                    rotate: 10MiB
                  - {ports: [], drops: yes, file: /var/tmp/drops.pcapng}
                """);
        assertEquals(new CaptureSpec(List.of("blue", "uplink"), java.nio.file.Path.of("/var/tmp/web.pcapng"),
                "tcp port 80", "both", false, 10L * 1024 * 1024, CaptureSpec.DEFAULT_KEEP), t.captures().get(0));
        assertEquals(new CaptureSpec(List.of(), java.nio.file.Path.of("/var/tmp/drops.pcapng"), "", "both", true, 0,
                CaptureSpec.DEFAULT_KEEP), t.captures().get(1));
        assertEquals(List.of("gw:v-net-0", "red", "blue", "uplink"), t.portNames());
    }

    @Test
    void badCapturesNameTheField() {
        assertEquals(List.of(
                "lab.yaml:3: capture /tmp/a.pcapng: rotate: 'huge' is not a size (e.g. 10MB, 512KiB, 1000000)",
                "lab.yaml:4: capture /tmp/a.pcapng: unknown key 'size' (known: ports, file, filter, direction, drops, "
                        + "rotate, keep)",
                "lab.yaml:5: captures[1]: file: missing",
                "lab.yaml:7: capture /tmp/b.pcap: rotate: 100 is smaller than the 4 kB a capture file needs"),
                problems("""
                        captures:
                          - file: /tmp/a.pcapng
                            rotate: huge
                            size: 5
                          - ports: [red]
                          - file: /tmp/b.pcap
                            rotate: 100
                        """));
        List<String> p = problems(SeedLab.text() + """
                captures:
                  - {ports: [red, green], file: /tmp/a.pcap, direction: sideways, drops: true}
                  - {ports: [], file: /tmp/a.pcap}
                """);
        for (String expected : List.of(
                "capture /tmp/a.pcap: ports: no port 'green' (ports: gw:v-net-0, red, blue, uplink, all)",
                "capture /tmp/a.pcap: direction must be in, out or both, not 'sideways'",
                "capture /tmp/a.pcap: drops: the reasons are pcapng packet comments; name the file *.pcapng")) {
            assertTrue(p.stream().anyMatch(x -> x.startsWith("lab.yaml:") && x.endsWith(": " + expected)),
                    expected + " in " + p);
        }
        assertTrue(p.stream().anyMatch(x -> x.endsWith("capture /tmp/a.pcap: file: written by another capture too")),
                p.toString());
        assertTrue(p.stream().anyMatch(x -> x.endsWith("capture /tmp/a.pcap: ports: name at least one port (or all), "
                + "or set drops")), p.toString());
    }

    @Test
    void structuralProblemsNameFileLineAndField() {
        assertEquals(List.of(
                "lab.yaml:1: topology: unknown key 'bridgez' (known: bridges, namespaces, uplinks, routes, masquerade, "
                        + "forwards, limits, captures, policy)",
                "lab.yaml:5: bridge br0: unknown key 'gatway' (known: name, gateway, mac-aging, fdb-max, host-port, "
                        + "host-address, vxlan, router-advertisements, rdnss, isolated, filter-switched)",
                "lab.yaml:6: bridge br0: fdb-max: 'lots' is not a whole number",
                "lab.yaml:8: namespace a: bridge: missing",
                "lab.yaml:9: namespace a: address: not an IPv4 address: '10.0.0.300'",
                "lab.yaml:10: namespace a: mtu: mtu 20 is outside 68..65535",
                "lab.yaml:13: forward tcp br0:80: to: 'blue' is not an address or a namespace's name (want ADDRESS[:PORT], [IPV6]:PORT or a namespace's NAME[:PORT])",
                "lab.yaml:18: forward udp br0:90-80: port: range 90-80 ends before it starts"),
                problems("""
                        bridgez: []
                        bridges:
                          - name: br0
                            gateway: 10.0.0.5/24
                            gatway: 10.0.0.6/24
                            fdb-max: lots
                        namespaces:
                          - name: a
                            address: 10.0.0.300/24
                            mtu: 20
                        forwards:
                          - protocol: tcp
                            to: blue
                            on: br0
                            port: 80
                          - protocol: udp
                            on: br0
                            port: 90-80
                            to: 10.0.0.1
                        """));
    }

    @Test
    void semanticProblemsAreReportedOnTheLineOfTheirElement() {
        List<String> p = problems("""
                bridges:
                  - name: br0
                    gateway: 10.0.0.5/24
                namespaces:
                  - name: a
                    bridge: br0
                    address: 10.0.0.1/24
                  - name: b
                    bridge: br1
                    address: 10.0.0.2/24
                forwards:
                  - protocol: tcp
                    on: br0
                    port: 80
                    to: 10.0.0.9:80
                """);
        assertEquals(List.of(
                "lab.yaml:8: namespace b: bridge 'br1' is not defined",
                "lab.yaml:12: forward tcp br0:80: target 10.0.0.9 is not the address of any namespace (a forward to "
                        + "nowhere)"), p);
    }

    @Test
    void brokenYamlAndEmptyFilesSaySo() {
        List<String> broken = problems("bridges: [\n  - name: x\n");
        assertTrue(broken.get(0).startsWith("lab.yaml:"), broken.toString());
        assertTrue(broken.get(0).contains("not valid YAML"), broken.toString());
        assertEquals(List.of("lab.yaml: the file is empty; start from 'vnet lab --print'"), problems(""));
        assertEquals(List.of("lab.yaml:1: topology: expected a mapping of bridges, namespaces, uplinks, routes, "
                + "masquerade, forwards, limits, captures, policy"), problems("- just a list\n"));
    }
}
