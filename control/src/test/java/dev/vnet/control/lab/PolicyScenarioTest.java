package dev.vnet.control.lab;

import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.NcServer;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.control.topology.TopologyFile;
import dev.vnet.dataplane.api.PolicyRule;
import dev.vnet.dataplane.filter.FilterRule;
import dev.vnet.dataplane.testing.LeakCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed lab with a policy, driven by real tools: red → lan is rejected (red's nc hears "Connection refused") while
 * blue still reaches lan; {@code vnet policy list} shows what the rule decided; an established connection keeps
 * carrying data when a rule against it comes, while a new one is refused.
 */
class PolicyScenarioTest {
    private static ScenarioLab net;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "nc", "ss");
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
        assertTrue(list.out().matches("(?s).*\\n +1 +[1-9]\\d* +\\d+ +from red to lan reject\\n.*"), list.out());
        assertTrue(list.out().contains("default accept"), list.out());
    }

    @Test
    void anEstablishedConnectionKeepsGoingWhenARuleAgainstItComesAndANewOneIsRefused() throws Exception {
        java.nio.file.Path got = java.nio.file.Files.createTempFile("vnet-policy", ".txt");
        Process server = Cmd.startInNs(net.ns("lan"), "sh", "-c", "nc -l 8090 > " + got);
        Process client = null;
        try {
            assertTrue(Cmd.waitForListener(net.ns("lan"), "tcp", 8090));
            // blue holds a connection open, sending a line a second
            client = Cmd.startInNs(net.ns("blue"), "sh", "-c", "while true; do echo tick; sleep 1; done | nc 192.168.1.3 "
                    + "8090");
            Thread.sleep(1500);
            assertTrue(client.isAlive(), "the connection is up");
            net.dataplane().setPolicy(List.of(new PolicyRule(0, "to lan tcp port 8090 drop", null, "uplink", null,
                    null, 6, 8090, 8090, 0, FilterRule.ANY, FilterRule.Action.DROP)), FilterRule.Action.ACCEPT);
            long before = java.nio.file.Files.size(got);
            Thread.sleep(2500);
            assertTrue(java.nio.file.Files.size(got) > before, "the established connection still carries data: "
                    + before + " bytes at the rule, " + java.nio.file.Files.size(got) + " 2.5 s later");
            Cmd.Result fresh = Cmd.inNs(net.ns("blue"), 15, "sh", "-c", "echo hi | nc -N -w 2 192.168.1.3 8090");
            assertTrue(fresh.exit() != 0, "a new connection meets the rule: " + fresh);
            assertTrue(net.dataplane().policy().get(0).packets() >= 1, "the rule decided it: "
                    + net.dataplane().policy());
        } finally {
            if (client != null) {
                client.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            java.nio.file.Files.deleteIfExists(got);
            // the lab's own rule back, for the other test
            net.dataplane().setPolicy(List.of(new PolicyRule(0, "from red to lan reject", "v-net-0", "uplink",
                    dev.vnet.dataplane.wire.IpPrefix.parse("192.168.15.1/32"), null, FilterRule.ANY, 0, 65535, 0,
                    FilterRule.ANY, FilterRule.Action.REJECT)), FilterRule.Action.ACCEPT);
        }
    }
}
