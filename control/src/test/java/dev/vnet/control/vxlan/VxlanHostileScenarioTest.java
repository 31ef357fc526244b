package dev.vnet.control.vxlan;

import dev.vnet.control.testing.Await;
import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a hostile underlay and a hostile remote tenant do to a vnet VTEP. Host A runs vnet with red on v-net-0
 * (VNI 42, a MAC table of 64 entries); host B is a kernel VTEP with mallory behind it ({@link VxlanHosts}). Datagrams
 * crafted with mausezahn on host B's underlay (reserved bits set, an unknown VNI, a sender that is no VTEP, a runt,
 * an inner frame cut short) are each dropped and counted under their reason on the right port; a flood of random
 * source MACs from mallory fills v-net-0's MAC table to its bound and no further; red and mallory still talk.
 */
class VxlanHostileScenarioTest {
    private static final int FDB_MAX = 64;
    /** A whole inner frame: broadcast, from 02:00:00:00:00:99, the local experimental EtherType, 46 zero bytes. */
    private static final String INNER = "ff:ff:ff:ff:ff:ff:02:00:00:00:00:99:88:b5" + ":00".repeat(46);
    private static final String VNI_42 = "08:00:00:00:00:00:2a:00";
    private static VxlanHosts hosts;
    private static String mallory;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "ping", "ethtool", "mausezahn");
        hosts = new VxlanHosts("A", "B");
        hosts.kernelVtep("B", 42, hosts.address("A"), false, true);
        mallory = hosts.kernelTenant("B", "mallory", "192.0.2.2/24");
        hosts.startVnet("A", String.join("\n",
                "bridges:",
                "  - name: v-net-0",
                "    fdb-max: " + FDB_MAX,
                "    vxlan: { vni: 42, local: " + hosts.address("A") + ", remotes: [" + hosts.address("B") + "] }",
                "namespaces:",
                "  - { name: red, bridge: v-net-0, address: 192.0.2.1/24, mtu: 1450 }",
                ""));
        redAndMalloryTalk();
    }

    @AfterAll
    static void down() throws Exception {
        if (hosts != null) {
            hosts.close();
        }
    }

    private static void redAndMalloryTalk() {
        Cmd.Result r = Cmd.inNs(hosts.ns("A", "red"), 20, "ping", "-c", "2", "-i", "0.2", "-W", "3", "192.0.2.2");
        assertEquals(0, r.exit(), "red reaches mallory over the tunnel: " + r);
    }

    private static CliRun stats() {
        CliRun s = hosts.cli("A", "stats");
        assertEquals(0, s.exit(), "vnet stats: " + s.err());
        return s;
    }

    /** vnet stats' drops, "PORT REASON" to count. */
    private static Map<String, Long> drops() {
        Map<String, Long> m = new HashMap<>();
        Matcher line = Pattern.compile("(?m)^  (\\S+) (\\S+) (\\d+)$").matcher(stats().out());
        while (line.find()) {
            m.put(line.group(1) + " " + line.group(2), Long.parseLong(line.group(3)));
        }
        return m;
    }

    /** One UDP datagram to host A's VTEP from {@code source} on host B's underlay, with {@code payload} (hex). */
    private static void send(String source, String payload) {
        String mac = VxlanHosts.macOf(hosts.host("A"), hosts.underlay("A"));
        Cmd.inNs(hosts.host("B"), 20, "mausezahn", hosts.underlay("B"), "-q", "-c", "1", "-b", mac, "-A", source,
                "-B", hosts.address("A"), "-t", "udp", "sp=40000,dp=4789,p=" + payload).assertOk();
    }

    /** Sends {@code payload} from {@code source} and waits until {@code port} has counted one more {@code reason}. */
    private static void droppedAs(String what, String source, String payload, String port, String reason)
            throws Exception {
        String key = port + " " + reason;
        long before = drops().getOrDefault(key, 0L);
        send(source, payload);
        Map<String, Long> after = Await.until(5000, VxlanHostileScenarioTest::drops,
                d -> d.getOrDefault(key, 0L) > before);
        assertEquals(before + 1, after.getOrDefault(key, 0L), what + ": counted once as " + reason + " on " + port
                + "; drops now " + after);
    }

    @Test
    void craftedDatagramsAreDroppedEachWithItsReasonOnItsPort() throws Exception {
        String b = hosts.address("B");
        String tunnel = "vxlan42@" + b;
        droppedAs("a reserved flag bit", b, "0c:00:00:00:00:00:2a:00:" + INNER, tunnel, "vxlan-bad-flags");
        droppedAs("a reserved bit after the VNI", b, "08:00:00:00:00:00:2a:01:" + INNER, tunnel, "vxlan-bad-flags");
        droppedAs("no I flag", b, "00:00:00:00:00:00:2a:00:" + INNER, tunnel, "vxlan-bad-flags");
        droppedAs("VNI 99, which no bridge has", b, "08:00:00:00:00:00:63:00:" + INNER, "vxlan4789",
                "vxlan-unknown-vni");
        droppedAs("a sender that is no VTEP of VNI 42", "198.51.100.9", VNI_42 + ":" + INNER, "vxlan4789",
                "vxlan-unknown-vtep");
        droppedAs("a runt (4 bytes)", b, "08:00:00:00", "vxlan4789", "vxlan-truncated");
        droppedAs("an inner frame cut to 10 bytes", b, VNI_42 + ":" + INNER.substring(0, 29), tunnel,
                "vxlan-truncated");
        redAndMalloryTalk();
    }

    @Test
    void aFloodOfRemoteSourceMacsStaysWithinTheMacTableBound() throws Exception {
        // 3000 broadcasts from mallory, each from another random MAC, through host B's kernel VTEP; paced at one per
        // 100 us so that the kernel's queues on the way keep them.
        Process flood = Cmd.startInNs(mallory, "mausezahn", "eth0", "-q", "-c", "3000", "-d", "100", "-a", "rand",
                "-b", "bc", "-B", "192.0.2.1", "-t", "udp", "dp=9");
        assertTrue(flood.waitFor(60, TimeUnit.SECONDS), "the flood ends");
        assertEquals(0, flood.exitValue(), "mausezahn ran");
        Pattern fdbLine = Pattern.compile("(?m)^fdb v-net-0:.* entries=(\\d+) max-entries=(\\d+).* limit-hits=(\\d+)");
        Matcher m = Await.until(10_000, () -> fdbLine.matcher(stats().out()),
                x -> x.find() && Long.parseLong(x.group(3)) > 1000);
        assertEquals(FDB_MAX, Integer.parseInt(m.group(2)), "the bound: " + m.group());
        assertEquals(FDB_MAX, Integer.parseInt(m.group(1)), "the flood filled the table to its bound, not past: "
                + m.group());
        CliRun fdb = hosts.cli("A", "fdb");
        assertTrue(fdb.out().lines().count() <= FDB_MAX, "vnet fdb lists at most the bound:\n" + fdb.out());
        redAndMalloryTalk();
    }
}
