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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed lab's bridge with {@code filter-switched: true} (br_netfilter): red and blue share v-net-0, so nothing
 * between them is routed, yet a rule rejecting red → blue tcp/22 makes red's nc hear "Connection refused" while
 * red still reaches blue's tcp/80 and pings it, and blue still reaches red's tcp/22 (the rule has a direction), while
 * blue's ping to red is rejected with ICMP administratively prohibited ("Packet filtered"); the rule counts what it
 * decided.
 */
class SwitchedPolicyScenarioTest {
    private static ScenarioLab net;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "nc", "ss", "ping");
        net = ScenarioLab.up(TopologyFile.parse("switched", SeedLab.text().replace("    fdb-max: 8192",
                "    fdb-max: 8192\n    filter-switched: true") + """

                policy:
                  rules:
                    - { from: red, to: blue, protocol: tcp, port: 22, action: reject }
                    - { from: blue, to: red, protocol: icmp, action: reject, reject-with: admin-prohibited }
                """));
    }

    @AfterAll
    static void down() throws IOException {
        if (net != null) {
            net.close();
        }
        LeakCheck.assertNoLeaks();
    }

    private static Cmd.Result nc(String from, String to, int port) {
        return Cmd.inNs(net.ns(from), 15, "sh", "-c", "echo hi | nc -v -N -w 3 " + to + " " + port);
    }

    @Test
    void redIsRefusedOnBluesPort22WhileEverythingElseBetweenThemIsSwitched() throws Exception {
        try (NcServer ssh = new NcServer(net.ns("blue"), 22, "")) {
            Cmd.Result refused = nc("red", "192.168.15.2", 22);
            assertTrue(refused.exit() != 0 && refused.err().contains("Connection refused"),
                    "red → blue tcp/22 is rejected: " + refused);
        }
        try (NcServer web = new NcServer(net.ns("blue"), 80, "")) {
            Cmd.Result ok = nc("red", "192.168.15.2", 80);
            assertEquals(0, ok.exit(), "red → blue tcp/80 is switched: " + ok);
            assertTrue(web.peer().contains("Connection received on 192.168.15.1 "), "from red itself: no NAT");
        }
        try (NcServer back = new NcServer(net.ns("red"), 22, "")) {
            Cmd.Result ok = nc("blue", "192.168.15.1", 22);
            assertEquals(0, ok.exit(), "blue → red tcp/22 is not the rule's direction: " + ok);
        }
        Cmd.inNs(net.ns("red"), 15, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", "192.168.15.2").assertOk();
        Cmd.Result filtered = Cmd.inNs(net.ns("blue"), 15, "ping", "-n", "-c", "1", "-W", "2", "192.168.15.1");
        assertTrue(filtered.exit() != 0 && filtered.out().contains("From 192.168.15.5 icmp_seq=1 Packet filtered"),
                "blue's ping to red is answered by the gateway: administratively prohibited: " + filtered);

        CliRun list = CliRun.of("policy", "list", "--state-dir=" + net.stateDir());
        assertTrue(list.out().matches("(?s).*\\n +1 +[1-9]\\d* +\\d+ +from " + net.ns("red") + " to " + net.ns("blue")
                + " tcp port 22 reject\\n.*"), "the rule counted red's refused SYNs: " + list.out());
        CliRun topology = CliRun.of("topology", "--state-dir=" + net.stateDir());
        assertTrue(topology.out().contains("filter-switched: true"), "written back: " + topology.out());
    }
}
