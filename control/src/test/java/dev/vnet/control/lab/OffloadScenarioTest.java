package dev.vnet.control.lab;

import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.Transfer;
import dev.vnet.control.topology.NamespaceSpec;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.control.topology.Topology;
import dev.vnet.dataplane.testing.LeakCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Offloads on and off side by side: the seed lab with red and lan on TAPs with offloads (partial checksums, TCP
 * super-frames) and blue without, and a second seed lab with offloads off everywhere. TCP and UDP cross L2, MASQUERADE
 * and DNAT in every combination and arrive byte-identical; the receiving kernels verify every checksum (a bad one is
 * a lost segment, and the transfer would stall or differ).
 */
class OffloadScenarioTest {
    private static final int MB = 1024 * 1024;

    private static String mixed;
    private static String off;
    private static Lab mixedLab;
    private static Lab offLab;
    private static final List<Path> stateDirs = new ArrayList<>();

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "nc", "ss");
        mixed = RootScenario.uniquePrefix();
        off = RootScenario.uniquePrefix();
        Topology seed = SeedLab.topology();
        List<NamespaceSpec> blueOff = seed.namespaces().stream()
                .map(n -> n.name().equals("blue") ? n.withOffloads(false) : n).toList();
        mixedLab = Lab.up(seed.withNamespaces(blueOff).withPrefix(mixed), stateDir(), new IpRoute2());
        offLab = Lab.up(seed.withOffloads(false).withPrefix(off), stateDir(), new IpRoute2());
    }

    private static Path stateDir() throws IOException {
        Path d = Files.createTempDirectory("vnet-state");
        stateDirs.add(d);
        return d;
    }

    @AfterAll
    static void down() throws IOException {
        for (Lab lab : new Lab[] {mixedLab, offLab}) {
            if (lab != null) {
                lab.close();
            }
        }
        for (Path d : stateDirs) {
            Files.deleteIfExists(d);
        }
        Cmd.deleteNamespaces(mixed);
        Cmd.deleteNamespaces(off);
        assertFalse(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(mixed) || n.startsWith(off)));
        LeakCheck.assertNoLeaks();
    }

    @Test
    void tcpCrossesEveryPathBetweenPortsWithAndWithoutOffloads() throws Exception {
        byte[] d = Transfer.randomBytes(7, 24 * MB);
        long before = mixedLab.dataplane().pipelineCounters().get("software-offloads");
        Transfer.assertSameBytes(d, Transfer.tcp(mixed + "red", mixed + "blue", "192.168.15.2", 7001, d),
                "L2, offloads -> none");
        long segmented = mixedLab.dataplane().pipelineCounters().get("software-offloads") - before;
        assertTrue(segmented > 0, "red's super-frames were cut for blue in software: " + segmented);
        Transfer.assertSameBytes(d, Transfer.tcp(mixed + "blue", mixed + "red", "192.168.15.1", 7002, d),
                "L2, none -> offloads");
        Transfer.assertSameBytes(d, Transfer.tcp(mixed + "red", mixed + "lan", "192.168.1.3", 7003, d),
                "MASQUERADE, offloads -> offloads");
        Transfer.assertSameBytes(d, Transfer.tcp(mixed + "blue", mixed + "lan", "192.168.1.3", 7004, d),
                "MASQUERADE, none -> offloads");
        Transfer.assertSameBytes(d, Transfer.tcp(mixed + "lan", mixed + "blue", "192.168.1.2", 80, d),
                "DNAT, offloads -> none");
    }

    @Test
    void tcpOverIpv6IsSwitchedWithSuperFramesCutForAPortWithoutOffloads() throws Exception {
        // vnet switches IPv6 (it routes only IPv4): red and blue get addresses of a private /64 on their link.
        Cmd.inNs(mixed + "red", 10, "ip", "-6", "addr", "add", "fd00:76::1/64", "dev", "eth0", "nodad").assertOk();
        Cmd.inNs(mixed + "blue", 10, "ip", "-6", "addr", "add", "fd00:76::2/64", "dev", "eth0", "nodad").assertOk();
        byte[] d = Transfer.randomBytes(11, 16 * MB);
        long before = mixedLab.dataplane().pipelineCounters().get("software-offloads");
        Transfer.assertSameBytes(d, Transfer.tcp(mixed + "red", mixed + "blue", "fd00:76::2", 7301, d),
                "IPv6, offloads -> none");
        long cut = mixedLab.dataplane().pipelineCounters().get("software-offloads") - before;
        assertTrue(cut > 0, "red's TCPv6 super-frames were cut for blue in software: " + cut);
        Transfer.assertSameBytes(d, Transfer.tcp(mixed + "blue", mixed + "red", "fd00:76::1", 7302, d),
                "IPv6, none -> offloads");
    }

    @Test
    void tcpCrossesEveryPathWithOffloadsOffEverywhere() throws Exception {
        byte[] d = Transfer.randomBytes(9, 8 * MB);
        Transfer.assertSameBytes(d, Transfer.tcp(off + "red", off + "blue", "192.168.15.2", 7101, d), "L2");
        Transfer.assertSameBytes(d, Transfer.tcp(off + "red", off + "lan", "192.168.1.3", 7102, d), "MASQUERADE");
        Transfer.assertSameBytes(d, Transfer.tcp(off + "lan", off + "blue", "192.168.1.2", 80, d), "DNAT");
        assertEquals(0L, offLab.dataplane().pipelineCounters().get("software-offloads"),
                "without offloads nothing needs finishing in software");
    }

    @Test
    void udpDatagramsArriveWholeWithValidChecksums() throws Exception {
        // Offloaded UDP has a partial checksum: completed for blue, adjusted by NAT for lan.
        for (String[] path : new String[][] {
                {"red", "blue", "192.168.15.2", "L2, offloads -> none"},
                {"red", "lan", "192.168.1.3", "MASQUERADE, offloads -> offloads"},
                {"blue", "lan", "192.168.1.3", "MASQUERADE, none -> offloads"}}) {
            String got = udp(mixed + path[0], mixed + path[1], path[2], 7201, "x".repeat(1400));
            assertEquals("x".repeat(1400), got, path[3]);
        }
    }

    private static String udp(String from, String to, String address, int port, String message) throws Exception {
        Path out = Files.createTempFile("vnet-udp", ".out");
        Process server = new ProcessBuilder("ip", "netns", "exec", to, "nc", "-u", "-l", Integer.toString(port))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            assertTrue(Cmd.waitForListener(to, "udp", port));
            Cmd.Result c = Cmd.inNs(from, 15, "sh", "-c", "printf '" + message + "' | nc -u -w 1 " + address + " "
                    + port);
            assertEquals(0, c.exit(), c.toString());
            for (int i = 0; i < 50 && Files.size(out) < message.length(); i++) {
                Thread.sleep(100);
            }
            return Files.readString(out);
        } finally {
            server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            Files.deleteIfExists(out);
        }
    }
}
