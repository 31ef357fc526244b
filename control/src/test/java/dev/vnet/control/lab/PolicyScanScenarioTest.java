package dev.vnet.control.lab;

import dev.vnet.control.testing.CliRun;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.control.topology.TopologyFile;
import dev.vnet.dataplane.testing.LeakCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed lab scanned from lan with nmap, as a user checks what their rules leave open: with lan routing to
 * 192.168.15.0/24 through the gateway, red and blue listen on several ports and nmap finds them all; once a rule
 * drops every connection from the uplink that no port forward made, nmap finds the forwarded port (the uplink's
 * tcp/80, to blue) and nothing else.
 */
class PolicyScanScenarioTest {
    private static final String TARGETS = "192.168.1.2 192.168.15.1 192.168.15.2";
    private static ScenarioLab net;
    private static final List<Process> listeners = new ArrayList<>();

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "nc", "ss", "nmap");
        net = ScenarioLab.up(TopologyFile.parse("scan", SeedLab.text()));
        Cmd.inNs(net.ns("lan"), 10, "ip", "route", "add", "192.168.15.0/24", "via", "192.168.1.2").assertOk();
        for (String[] l : new String[][] {{"red", "22"}, {"blue", "22"}, {"blue", "80"}, {"blue", "8080"}}) {
            listeners.add(Cmd.startInNs(net.ns(l[0]), "nc", "-lk", l[1]));
            assertTrue(Cmd.waitForListener(net.ns(l[0]), "tcp", Integer.parseInt(l[1])),
                    "nc listening on tcp/" + l[1] + " in " + l[0]);
        }
    }

    @AfterAll
    static void down() throws Exception {
        for (Process p : listeners) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        if (net != null) {
            net.close();
        }
        LeakCheck.assertNoLeaks();
    }

    /** The open ports nmap finds from lan, as "address:port", in order. */
    private static TreeSet<String> openPortsSeenFromLan() {
        List<String> cmd = new ArrayList<>(List.of("nmap", "-n", "-Pn", "-sT", "-p", "22,80,8080", "--max-retries",
                "1", "--max-rtt-timeout", "500ms", "-oG", "-"));
        cmd.addAll(List.of(TARGETS.split(" ")));
        Cmd.Result scan = Cmd.inNs(net.ns("lan"), 120, cmd.toArray(String[]::new));
        assertEquals(0, scan.exit(), scan.toString());
        TreeSet<String> open = new TreeSet<>();
        for (String line : scan.out().lines().toList()) {
            // Grepable output: "Host: 192.168.15.2 ()	Ports: 22/open/tcp//ssh///, 80/closed/tcp//http///"
            int ports = line.indexOf("Ports: ");
            if (!line.startsWith("Host: ") || ports < 0) {
                continue;
            }
            String host = line.substring(6, line.indexOf(' ', 6));
            for (String p : line.substring(ports + 7).split(", ")) {
                String[] f = p.trim().split("/");
                if (f.length > 1 && f[1].equals("open")) {
                    open.add(host + ":" + f[0]);
                }
            }
        }
        return open;
    }

    @Test
    void onlyTheForwardedPortIsFoundOnceARuleDropsWhatTheUplinkDidNotGetForwarded() {
        TreeSet<String> before = openPortsSeenFromLan();
        assertEquals(new TreeSet<>(List.of("192.168.1.2:80", "192.168.15.1:22", "192.168.15.2:22",
                "192.168.15.2:80", "192.168.15.2:8080")), before, "with no rule, lan reaches every listener");

        CliRun add = CliRun.of("policy", "add", "--from", "uplink", "--forwarded", "false", "--action", "drop",
                "--state-dir=" + net.stateDir());
        assertEquals(0, add.exit(), add.toString());
        TreeSet<String> after = openPortsSeenFromLan();
        assertEquals(new TreeSet<>(List.of("192.168.1.2:80")), after,
                "with the rule, only the forwarded port is open from lan");

        CliRun list = CliRun.of("policy", "list", "--state-dir=" + net.stateDir());
        assertTrue(list.out().matches("(?s).*\\n +1 +[1-9]\\d* +\\d+ +from uplink not forwarded drop\\n.*"),
                "the rule counted the scan's dropped probes: " + list.out());
    }
}
