package dev.vnet.control.vxlan;

import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.Transfer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
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
 * <p>The hosts and their underlay (transmit checksum offload off, as a real wire) are {@link VxlanHosts}.
 */
class VxlanKernelScenarioTest {
    private VxlanHosts hosts;
    private String a;
    private String b;

    @AfterEach
    void tearDown() throws Exception {
        if (hosts != null) {
            hosts.close();
        }
    }

    /** Counter {@code column} (0 RX-FRAMES, 1 RX-BYTES, 2 TX-FRAMES, 3 TX-BYTES) of port {@code port} in vnet ports. */
    private static long counter(String ports, String port, int column) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + java.util.regex.Pattern.quote(port)
                + " .*?v-net-0\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)").matcher(ports);
        assertTrue(m.find(), "port " + port + " in vnet ports:\n" + ports);
        return Long.parseLong(m.group(column + 1));
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

    @ParameterizedTest(name = "kernel side flooding by {0}")
    @ValueSource(strings = {"remote, udpcsum", "fdb append, noudpcsum"})
    void vnetAndTheKernelShareOneSegmentOverVxlan(String variant) throws Exception {
        RootScenario.require("ip", "bridge", "ping", "nc", "ethtool", "tcpdump", "tshark");
        hosts = new VxlanHosts("A", "B");
        a = hosts.address("A");
        b = hosts.address("B");
        hosts.kernelVtep("B", 42, a, variant.startsWith("fdb"), variant.endsWith(" udpcsum"));
        String green = hosts.kernelTenant("B", "green", "192.0.2.2/24");
        hosts.startVnet("A", String.join("\n",
                "bridges:",
                "  - name: v-net-0",
                "    vxlan: { vni: 42, local: " + a + ", port: 4789, remotes: [" + b + "], learning: true }",
                "namespaces:",
                "  - { name: red, bridge: v-net-0, address: 192.0.2.1/24, mtu: 1450 }",
                ""));
        String red = hosts.ns("A", "red");

        Path pcap = Files.createTempFile("vnet-underlay", ".pcap");
        try {
            Process dump = capture(hosts.host("B"), hosts.underlay("B"), pcap, "udp port 4789 and src host " + a);
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

        String kernelFdb = Cmd.run(10, "bridge", "-n", hosts.host("B"), "fdb", "show", "dev", "vx0").assertOk().out();
        assertTrue(kernelFdb.contains(VxlanHosts.macOf(red, "eth0") + " dst " + a),
                "the kernel learned red's MAC behind vnet's VTEP: " + kernelFdb);
        CliRun fdb = hosts.cli("A", "fdb");
        assertEquals(0, fdb.exit(), fdb.err());
        assertTrue(fdb.out().contains(VxlanHosts.macOf(green, "eth0") + " dev vxlan42@" + b + " dst " + b
                        + " master v-net-0"),
                "vnet learned green's MAC behind the kernel's VTEP: " + fdb.out());
        CliRun ports = hosts.cli("A", "ports");
        long datagrams = counter(ports.out(), "vxlan42@" + b, 0);
        long writes = counter(ports.out(), red, 2);
        System.out.printf("vxlan kernel scenario (%s): %d datagrams from the kernel's VTEP, %d frames written to red%n",
                variant, datagrams, writes);
        if (variant.endsWith(" udpcsum")) {
            assertTrue(writes * 2 < datagrams, "the kernel's segments arrive coalesced (UDP_GRO) and are joined "
                    + "again: " + datagrams + " datagrams, " + writes + " frames written to red:\n" + ports.out());
        } else {
            // The kernel never coalesces datagrams without a checksum (udp_gro_receive_segment: "requires non zero
            // csum"): each is read and written alone, and nothing is lost.
            assertTrue(writes <= datagrams, datagrams + " datagrams, " + writes + " frames written to red");
        }
        assertTrue(ports.out().contains("vxlan42@" + b) && !ports.out().matches("(?s).*vxlan42@\\S+ .*vxlan-.*"),
                "the tunnel's counters, without VXLAN drops: " + ports.out());
    }
}
