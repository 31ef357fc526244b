package dev.vnet.control.lab;

import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.NcServer;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.control.topology.TopologyFile;
import dev.vnet.dataplane.testing.LeakCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed lab with a policy, driven by real tools: red → lan is rejected (red's nc hears "Connection refused") while
 * blue still reaches lan; {@code vnet policy list} shows what the rule decided; an established connection keeps
 * carrying data when a rule against it comes ({@code vnet policy add}), while a new one is refused; a bad rule is
 * refused with its reason and changes nothing; {@code vnet topology} writes the rules back.
 */
class PolicyScenarioTest {
    private static ScenarioLab net;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "nc", "ss", "tshark");
        net = ScenarioLab.up(TopologyFile.parse("policy", SeedLab.text() + """

                policy:
                  default: accept
                  rules:
                    - { from: red, to: lan, action: reject }
                """));
    }

    @AfterAll
    static void down() throws IOException {
        if (net != null) {
            net.close();
        }
        LeakCheck.assertNoLeaks();
    }

    @Test
    void redIsRefusedWhileBlueReachesLanAndTheRuleCountsIt() throws Exception {
        try (NcServer server = new NcServer(net.ns("lan"), 8081, "")) {
            Cmd.Result red = Cmd.inNs(net.ns("red"), 15, "sh", "-c", "echo hi | nc -v -N -w 3 192.168.1.3 8081");
            assertTrue(red.exit() != 0 && red.err().contains("Connection refused"), "red is refused: " + red);
            Cmd.Result blue = Cmd.inNs(net.ns("blue"), 15, "sh", "-c", "echo hi | nc -N -w 3 192.168.1.3 8081");
            assertEquals(0, blue.exit(), "blue reaches lan: " + blue);
            assertTrue(server.peer().contains("Connection received on 192.168.1.2 "), "through the MASQUERADE");
        }
        CliRun list = CliRun.of("policy", "list", "--state-dir=" + net.stateDir());
        assertEquals(0, list.exit(), list.toString());
        assertTrue(list.out().matches("(?s).*\\n +1 +[1-9]\\d* +\\d+ +from " + net.ns("red") + " to " + net.ns("lan")
                + " reject\\n.*"), list.out());
        assertTrue(list.out().contains("default accept"), list.out());
    }

    @Test
    void aDropCaptureNamesTheRuleThatRejectedRedsConnection() throws Exception {
        Path dir = Files.createTempDirectory("vnet-policy-drops");
        Path file = dir.resolve("drops.pcapng");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process trace = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                dev.vnet.control.cli.Main.class.getName(), "trace", "--state-dir", net.stateDir().toString(), "--drops",
                "-w", file.toString(), "-c", "1", "tcp port 8082")
                .redirectErrorStream(true).redirectOutput(dir.resolve("trace.out").toFile()).start();
        try {
            awaitCapture();
            Cmd.inNs(net.ns("red"), 15, "sh", "-c", "echo hi | nc -N -w 3 192.168.1.3 8082");
            assertTrue(trace.waitFor(30, TimeUnit.SECONDS), "the trace ends after one dropped frame: "
                    + Files.readString(dir.resolve("trace.out")));
            Cmd.Result comments = Cmd.run(60, "tshark", "-r", file.toString(), "-T", "fields", "-e", "frame.comment");
            assertEquals("dropped: policy-reject by rule 1 (from " + net.ns("red") + " to " + net.ns("lan")
                    + " reject)", comments.out().strip(), comments.toString());
        } finally {
            trace.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir.resolve("trace.out"));
            Files.delete(dir);
        }
    }

    /** Waits until vnet lists a running capture. */
    private static void awaitCapture() throws Exception {
        dev.vnet.control.api.ControlClient client = new dev.vnet.control.api.ControlClient(net.stateDir());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (client.get("/captures").size() == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the trace's capture did not start");
            }
            Thread.sleep(50);
        }
    }

    @Test
    void aBadRuleIsRefusedWithItsReasonAndTheRulesAreWrittenBack() {
        String state = "--state-dir=" + net.stateDir();
        CliRun bad = CliRun.of("policy", "add", "--from", "purple", "--action", "drop", state);
        assertTrue(bad.exit() != 0 && bad.err().contains("policy rule 2: from: 'purple' is not a namespace"),
                bad.toString());
        CliRun noProtocol = CliRun.of("policy", "add", "--port", "22", "--action", "drop", state);
        assertTrue(noProtocol.err().contains("a port (or ICMP type) needs a protocol"), noProtocol.toString());
        CliRun list = CliRun.of("policy", "list", state);
        assertEquals(3, list.out().split("\n").length, "the header, the lab's rule and the default: " + list.out());
        CliRun topology = CliRun.of("topology", state);
        assertTrue(topology.out().contains("from: " + net.ns("red")) && topology.out().contains("action: reject"),
                "written back: " + topology.out());
    }

    @Test
    void anEstablishedConnectionKeepsGoingWhenARuleAgainstItComesAndANewOneIsRefused() throws Exception {
        java.nio.file.Path got = java.nio.file.Files.createTempFile("vnet-policy", ".txt");
        Process server = Cmd.startInNs(net.ns("lan"), "sh", "-c", "nc -l 8090 > " + got);
        Process client = null;
        try {
            assertTrue(Cmd.waitForListener(net.ns("lan"), "tcp", 8090));
            // blue holds a connection open, sending a line a second
            client = Cmd.startInNs(net.ns("blue"), "sh", "-c",
                    "while true; do echo tick; sleep 1; done | nc 192.168.1.3 8090");
            Thread.sleep(1500);
            assertTrue(client.isAlive(), "the connection is up");
            CliRun add = CliRun.of("policy", "add", "--to", "lan", "--protocol", "tcp", "--port", "8090", "--action",
                    "drop", "--at", "1", "--state-dir=" + net.stateDir());
            assertEquals(0, add.exit(), add.toString());
            assertEquals("added 1: to " + net.ns("lan") + " tcp port 8090 drop\n", add.out(), "the lab's name for lan");
            long before = java.nio.file.Files.size(got);
            Thread.sleep(2500);
            assertTrue(java.nio.file.Files.size(got) > before, "the established connection still carries data: "
                    + before + " bytes at the rule, " + java.nio.file.Files.size(got) + " 2.5 s later");
            Cmd.Result fresh = Cmd.inNs(net.ns("blue"), 15, "sh", "-c", "echo hi | nc -N -w 2 192.168.1.3 8090");
            assertTrue(fresh.exit() != 0, "a new connection meets the rule: " + fresh);
            assertTrue(net.dataplane().policy().get(0).packets() >= 1, "the rule decided it: "
                    + net.dataplane().policy());
            // conntrack -F: the connection is forgotten, its next segments are new ones and meet the rule
            CliRun flush = CliRun.of("conntrack", "flush", "--state-dir=" + net.stateDir());
            assertTrue(flush.out().matches("flushed [1-9]\\d* connections\n"), flush.toString());
            Thread.sleep(1200);
            long atFlush = java.nio.file.Files.size(got);
            Thread.sleep(2500);
            assertEquals(atFlush, java.nio.file.Files.size(got), "after the flush the rule stops the connection");
            CliRun list = CliRun.of("policy", "list", "--state-dir=" + net.stateDir());
            assertTrue(list.out().matches("(?s).*1 .*to " + net.ns("lan") + " tcp port 8090 drop\n +2 .*from "
                    + net.ns("red") + " to " + net.ns("lan") + " reject\n.*"), "both, the new one first: "
                    + list.out());
        } finally {
            if (client != null) {
                client.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            java.nio.file.Files.deleteIfExists(got);
            CliRun del = CliRun.of("policy", "del", "1", "--state-dir=" + net.stateDir());
            assertEquals("removed 1: to " + net.ns("lan") + " tcp port 8090 drop\n", del.out(), del.toString());
        }
    }
}
