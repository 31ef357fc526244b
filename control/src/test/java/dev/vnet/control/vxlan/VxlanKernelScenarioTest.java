package dev.vnet.control.vxlan;

import dev.vnet.control.cli.Main;
import dev.vnet.control.lab.StateFile;
import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.testing.StdoutLines;
import dev.vnet.control.testing.Transfer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vnet and the kernel's vxlan as two VTEPs of one segment, each host simulated by a namespace joined by a veth
 * underlay (198.51.100.0/24): host A runs {@code ip netns exec hostA vnet up} with red on a bridge extended over VNI 42;
 * host B has a kernel bridge with a kernel vxlan device and green behind it (192.0.2.0/24 inside). Red and green ping
 * each other (ARP crosses the tunnel), 100 MB cross each way byte for byte, each side learns the other's MAC behind
 * the other's VTEP, and what vnet puts on the underlay is VXLAN as tshark reads it. Once with the kernel's
 * {@code remote} and UDP checksums, once with a {@code bridge fdb append} flood entry and {@code noudpcsum}.
 *
 * <p>The underlay veths have transmit checksum offload off: a veth otherwise hands the far side packets whose
 * checksums were never computed (fine for the kernel, which passes that state along; a user-space receiver gets the
 * bytes only), where a real NIC puts complete checksums on the wire.
 */
class VxlanKernelScenarioTest {
    private static final String A = "198.51.100.1";
    private static final String B = "198.51.100.2";
    private String prefix;
    private Process vnet;
    private Path topologyFile;

    @AfterEach
    void tearDown() throws Exception {
        if (vnet != null && vnet.isAlive()) {
            vnet.destroy(); // SIGTERM: vnet removes what it created
            if (!vnet.waitFor(30, TimeUnit.SECONDS)) {
                vnet.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (prefix != null) {
            Cmd.deleteNamespaces(prefix);
            ScenarioLab.deleteStateDir(StateFile.dirFor(prefix));
            assertTrue(Cmd.namespaces().stream().noneMatch(n -> n.startsWith(prefix)), "namespaces left");
            assertTrue(Cmd.links().stream().noneMatch(l -> l.startsWith(prefix)), "links left: " + Cmd.links());
        }
        if (topologyFile != null) {
            Files.deleteIfExists(topologyFile);
        }
    }

    private void sh(String... args) {
        Cmd.run(20, args).assertOk();
    }

    /** Host A and host B, joined by a veth underlay with checksum offload off. */
    private void underlay() {
        String ha = prefix + "hostA";
        String hb = prefix + "hostB";
        sh("ip", "netns", "add", ha);
        sh("ip", "netns", "add", hb);
        sh("ip", "link", "add", prefix + "ua", "type", "veth", "peer", "name", prefix + "ub");
        sh("ip", "link", "set", prefix + "ua", "netns", ha);
        sh("ip", "link", "set", prefix + "ub", "netns", hb);
        for (String[] h : new String[][] {{ha, prefix + "ua", A}, {hb, prefix + "ub", B}}) {
            sh("ip", "-n", h[0], "addr", "add", h[2] + "/24", "dev", h[1]);
            sh("ip", "-n", h[0], "link", "set", h[1], "up");
            sh("ip", "-n", h[0], "link", "set", "lo", "up");
            Cmd.inNs(h[0], 20, "ethtool", "-K", h[1], "tx", "off").assertOk();
        }
    }

    /** The kernel's VTEP on host B: vx0 on a bridge, green behind it; flooding by {@code remote} or an fdb entry. */
    private void kernelHost(boolean fdbFlood, boolean udpCsum) {
        String hb = prefix + "hostB";
        List<String> vx = new java.util.ArrayList<>(List.of("ip", "-n", hb, "link", "add", "vx0", "type", "vxlan",
                "id", "42", "dstport", "4789", "local", B, "dev", prefix + "ub", udpCsum ? "udpcsum" : "noudpcsum"));
        if (!fdbFlood) {
            vx.addAll(List.of("remote", A));
        }
        sh(vx.toArray(String[]::new));
        if (fdbFlood) {
            sh("bridge", "-n", hb, "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", A);
        }
        sh("ip", "-n", hb, "link", "add", "br0", "type", "bridge");
        sh("ip", "-n", hb, "link", "set", "vx0", "master", "br0", "up");
        sh("ip", "-n", hb, "link", "set", "br0", "up");
        String green = prefix + "green";
        sh("ip", "netns", "add", green);
        sh("ip", "link", "add", prefix + "g0", "type", "veth", "peer", "name", prefix + "g1");
        sh("ip", "link", "set", prefix + "g0", "netns", hb);
        sh("ip", "link", "set", prefix + "g1", "netns", green);
        sh("ip", "-n", hb, "link", "set", prefix + "g0", "master", "br0", "mtu", "1450", "up");
        sh("ip", "-n", green, "link", "set", prefix + "g1", "name", "eth0");
        sh("ip", "-n", green, "link", "set", "eth0", "mtu", "1450", "up");
        sh("ip", "-n", green, "link", "set", "lo", "up");
        sh("ip", "-n", green, "addr", "add", "192.0.2.2/24", "dev", "eth0");
    }

    /** {@code ip netns exec hostA vnet up FILE --prefix P}, as a user starts one host of several. */
    private void vnetOnHostA() throws Exception {
        topologyFile = Files.createTempFile("vnet-vxlan", ".yaml");
        Files.writeString(topologyFile, String.join("\n",
                "bridges:",
                "  - name: v-net-0",
                "    vxlan: { vni: 42, local: " + A + ", port: 4789, remotes: [" + B + "], learning: true }",
                "namespaces:",
                "  - { name: red, bridge: v-net-0, address: 192.0.2.1/24, mtu: 1450 }",
                ""));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        vnet = new ProcessBuilder("ip", "netns", "exec", prefix + "hostA", java, "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "up", topologyFile.toString(),
                "--prefix", prefix).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        StdoutLines out = new StdoutLines(vnet);
        assertTrue(out.awaitRunning(60), "vnet up on host A reached 'running': " + out);
    }

    /** tcpdump on {@code device} in {@code ns}, four packets to {@code file}; returns once it is listening. */
    private static Process capture(String ns, String device, Path file, String filter) throws Exception {
        Path log = Files.createTempFile("vnet-tcpdump", ".log");
        try {
            Process p = new ProcessBuilder("ip", "netns", "exec", ns, "tcpdump", "-U", "-ni", device, "-c", "4", "-w",
                    file.toString(), filter).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.readString(log).contains("listening on")) {
                assertTrue(p.isAlive() && System.nanoTime() < deadline, "tcpdump started: " + Files.readString(log));
                Thread.sleep(20);
            }
            return p;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String macOf(String ns) {
        return Cmd.inNs(ns, 10, "cat", "/sys/class/net/eth0/address").assertOk().out().trim();
    }

    @ParameterizedTest(name = "kernel side flooding by {0}")
    @ValueSource(strings = {"remote, udpcsum", "fdb append, noudpcsum"})
    void vnetAndTheKernelShareOneSegmentOverVxlan(String variant) throws Exception {
        RootScenario.require("ip", "bridge", "ping", "nc", "ethtool", "tcpdump", "tshark");
        prefix = RootScenario.uniquePrefix();
        underlay();
        kernelHost(variant.startsWith("fdb"), variant.endsWith(" udpcsum"));
        vnetOnHostA();
        String red = prefix + "red";
        String green = prefix + "green";

        Path pcap = Files.createTempFile("vnet-underlay", ".pcap");
        try {
            Process dump = capture(prefix + "hostB", prefix + "ub", pcap, "udp port 4789 and src host " + A);
            Cmd.inNs(red, 20, "ping", "-c", "3", "-W", "2", "192.0.2.2").assertOk();
            Cmd.inNs(green, 20, "ping", "-c", "3", "-W", "2", "192.0.2.1").assertOk();
            assertTrue(dump.waitFor(20, TimeUnit.SECONDS), "tcpdump saw 4 datagrams from vnet's VTEP");
            String fields = Cmd.run(30, "tshark", "-r", pcap.toString(), "-d", "udp.port==4789,vxlan", "-T",
                    "fields", "-E", "separator=,", "-E", "occurrence=f", "-e", "vxlan.flags", "-e", "vxlan.vni", "-e", "ip.flags.df",
                    "-e", "ip.ttl", "-e", "udp.srcport").assertOk().out();
            for (String line : fields.strip().split("\n")) {
                String[] f = line.split(",");
                assertEquals("0x0800", f[0], "VXLAN flags: the I bit alone: " + line);
                assertEquals("42", f[1], "VNI: " + line);
                assertTrue(f[2].equals("0") || f[2].equals("False"), "DF clear, as the kernel's vxlan: " + line);
                assertEquals("64", f[3], "TTL: " + line);
                int source = Integer.parseInt(f[4]);
                assertTrue(source >= 32768 && source <= 60999, "source port in the ephemeral range: " + line);
            }
        } finally {
            Files.deleteIfExists(pcap);
        }

        byte[] there = Transfer.randomBytes(1, 100 << 20);
        Transfer.assertSameBytes(there, Transfer.tcp(red, green, "192.0.2.2", 7001, there), "red -> green");
        byte[] back = Transfer.randomBytes(2, 100 << 20);
        Transfer.assertSameBytes(back, Transfer.tcp(green, red, "192.0.2.1", 7002, back), "green -> red");

        String kernelFdb = Cmd.run(10, "bridge", "-n", prefix + "hostB", "fdb", "show", "dev", "vx0").assertOk().out();
        assertTrue(kernelFdb.contains(macOf(red) + " dst " + A),
                "the kernel learned red's MAC behind vnet's VTEP: " + kernelFdb);
        CliRun fdb = CliRun.of("fdb", "--prefix", prefix);
        assertEquals(0, fdb.exit(), fdb.err());
        assertTrue(fdb.out().contains(macOf(green) + " dev vxlan42@" + B + " dst " + B + " master v-net-0"),
                "vnet learned green's MAC behind the kernel's VTEP: " + fdb.out());
        CliRun ports = CliRun.of("ports", "--prefix", prefix);
        assertTrue(ports.out().contains("vxlan42@" + B) && !ports.out().matches("(?s).*vxlan42@\\S+ .*vxlan-.*"),
                "the tunnel's counters, without VXLAN drops: " + ports.out());
    }
}
