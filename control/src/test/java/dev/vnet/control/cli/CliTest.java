package dev.vnet.control.cli;

import dev.vnet.control.testing.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line without root: help, usage errors, and 'down' with nothing to do. */
class CliTest {
    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void helpListsTheCommands() {
        CliRun r = run("--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("up"), r.out());
        assertTrue(r.out().contains("down"), r.out());
        CliRun up = run("up", "--help");
        assertEquals(0, up.exit());
        assertTrue(up.out().contains("--prefix"), up.out());
        assertTrue(up.out().contains("red (192.168.15.1/24)"), up.out());
    }

    @Test
    void versionIsTheBuildsVersion() throws Exception {
        CliRun r = run("--version");
        assertEquals(0, r.exit());
        String pom = java.nio.file.Files.readString(Path.of("pom.xml")); // control/pom.xml: the parent's version
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<version>([^<]+)</version>").matcher(pom);
        assertTrue(m.find(), pom);
        assertTrue(r.out().startsWith("vnet " + m.group(1) + "\n"), "vnet --version prints the project's version "
                + m.group(1) + ": " + r.out());
        assertTrue(r.out().contains("Java " + Runtime.version().feature()), r.out());
    }

    @Test
    void unknownOptionIsAUsageError() {
        CliRun r = run("up", "--no-such-option");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--no-such-option"), r.err());
    }

    @Test
    void aMissingOrBadTopologyFileIsReportedBeforeAnythingIsCreated(@TempDir Path dir) throws Exception {
        CliRun missing = run("up", dir.resolve("missing.yaml").toString(), "--state-dir", dir.toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("cannot read topology file " + dir.resolve("missing.yaml") + ": no such file"),
                missing.err());
        Path bad = dir.resolve("bad.yaml");
        java.nio.file.Files.writeString(bad, "bridges:\n  - name: br0\n    colour: blue\n");
        CliRun r = run("up", bad.toString(), "--state-dir", dir.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains(bad + ":3: bridge br0: unknown key 'colour'"), r.err());
        assertTrue(!java.nio.file.Files.exists(dir.resolve("state")), "nothing was created");
    }

    @Test
    void dryRunPrintsThePlanAndChangesNothing(@TempDir Path dir) {
        java.util.List<String> before = dev.vnet.control.testing.Cmd.namespaces();
        CliRun r = run("up", "--dry-run", "--prefix", "dry-", "--state-dir", dir.toString(), "--max-connections", "500");
        assertEquals(0, r.exit(), r.err());
        String[] expected = {"router: at most 500 connections, 1024 neighbors, 1048576 routes; connection timeouts (s) "
            + "{tcp-syn-sent=120, tcp-syn-recv=60, tcp-established=432000, tcp-fin-wait=120, tcp-close-wait=60, "
            + "tcp-last-ack=30, tcp-time-wait=120, tcp-close=10, udp=30, udp-stream=120, icmp=30, generic=600}",
            "bridge v-net-0: fdb bound 8192, MAC aging 300 s",
            "router: gateway 192.168.15.5/24 on v-net-0",
            "ip netns add dry-red",
            "vnet: open TAP <tap0> as port dry-red on bridge v-net-0",
            "ip link set dev <tap0> netns dry-red",
            "ip -n dry-red link set dev <tap0> name eth0",
            "ip -n dry-red addr add 192.168.15.1/24 dev eth0",
            "ip -n dry-red link set dev eth0 mtu 1500 txqueuelen 1000 up",
            "ip -n dry-red route add default via 192.168.15.5",
            "ip netns add dry-lan",
            "masquerade 192.168.15.0/24 out of uplink",
            "forward tcp uplink:80 -> 192.168.15.2:80"};
        int at = -1;
        for (String line : expected) {
            int next = r.out().indexOf(line + "\n", at + 1);
            assertTrue(next > at, "'" + line + "' in order in:\n" + r.out());
            at = next;
        }
        assertEquals(before, dev.vnet.control.testing.Cmd.namespaces(), "nothing created");
        assertTrue(!java.nio.file.Files.exists(dir.resolve("state")));
    }

    @Test
    void aBadMaxConnectionsIsAUsageError(@TempDir Path dir) {
        CliRun r = run("up", "--dry-run", "--max-connections", "0", "--state-dir", dir.toString());
        assertEquals(2, r.exit());
        assertEquals("vnet up: --max-connections: connections 0 is outside 1..16777216\n", r.err());
    }

    @Test
    void labPrintShowsTheSeedLabFileWhichParses() throws Exception {
        CliRun r = run("lab", "--print");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("name: v-net-0"), r.out());
        assertEquals(dev.vnet.control.topology.SeedLab.topology().namespaces(),
                dev.vnet.control.topology.TopologyFile.parse("printed", r.out()).namespaces());
    }

    @Test
    void theDualStackLabIsPrintedAndRunByNameAndAnUnknownNameIsRefused(@TempDir Path dir) throws Exception {
        CliRun r = run("lab", "--print", "dual-stack");
        assertEquals(0, r.exit(), r.toString());
        var t = dev.vnet.control.topology.TopologyFile.parse("printed", r.out());
        assertEquals("[fd00:15::5/64]", t.bridges().get(0).gateways6().toString(), "the gateway numbered as the issue");
        assertEquals("[fd00:15::1/64]", t.namespaces().get(0).addresses6().toString(), "red");
        assertEquals("[fd00:15::2/64]", t.namespaces().get(1).addresses6().toString(), "blue");
        assertEquals("[fd00:1::2/64]", t.uplinks().get(0).routerAddresses6().toString());
        assertEquals("[fd00:1::3/64]", t.uplinks().get(0).hostAddresses6().toString());
        assertEquals("fd00:15::/64", t.masquerades().get(1).source().toString(), "NAT66");
        assertEquals("[192.168.15.2, fd00:15::2]", t.forwards().get(0).targets().toString(), "tcp/80 to blue, both");
        CliRun plan = run("up", "--lab", "dual-stack", "--dry-run", "--state-dir", dir.toString());
        assertEquals(0, plan.exit(), plan.toString());
        assertTrue(plan.out().contains("forward tcp uplink:80 -> [fd00:15::2]:80"), plan.out());
        CliRun bad = run("up", "--lab", "triple-stack", "--dry-run", "--state-dir", dir.toString());
        assertEquals(2, bad.exit());
        assertEquals("vnet up: --lab: no built-in lab 'triple-stack' (there are: seed, dual-stack)\n", bad.err());
        CliRun both = run("up", "--lab", "seed", "lab.yaml", "--dry-run", "--state-dir", dir.toString());
        assertEquals(2, both.exit());
        assertTrue(both.err().contains("give it or a TOPOLOGY file, not both"), both.err());
    }

    @Test
    void showCommandsSayPlainlyWhenNoVnetIsRunning(@TempDir Path dir) {
        for (String command : new String[] {"neigh", "route", "fdb", "ports"}) {
            CliRun r = run(command, "--state-dir", dir.toString());
            assertEquals(1, r.exit(), command);
            assertTrue(r.err().contains("vnet " + command + ": no vnet is running (no API socket at "), r.err());
        }
    }

    @Test
    void downWithNothingRecordedIsHarmless(@TempDir Path dir) {
        CliRun r = run("down", "--state-dir", dir.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("nothing to do"), r.out());
    }
}
