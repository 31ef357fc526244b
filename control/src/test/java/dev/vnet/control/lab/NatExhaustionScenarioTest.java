package dev.vnet.control.lab;

import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.testing.Transfer;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.control.topology.Topology;
import dev.vnet.dataplane.api.PortStats;
import dev.vnet.dataplane.conntrack.ConntrackTimeouts;
import dev.vnet.dataplane.l3.RouterLimits;
import dev.vnet.dataplane.testing.LeakCheck;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MASQUERADE running out of source ports (VPP crashed on it, VPP-1870): red and blue both SYN-flood one outside
 * address and port from every source port, twice as many tuples as the uplink address has ports. vnet counts the
 * refused connections as nat-ports-exhausted, logs it at most about once a second, keeps forwarding, and masquerades
 * new connections again once the flood's half-open connections time out.
 */
class NatExhaustionScenarioTest {
    private static final int SYN_SENT_SECONDS = 15;

    @Test
    void exhaustedSourcePortsAreCountedLoggedRarelyAndComeBack() throws Exception {
        RootScenario.require("ip", "nc", "ss", "ping", "hping3");
        Topology seed = SeedLab.topology();
        ConntrackTimeouts timeouts = seed.limits().timeouts().with("tcp-syn-sent", SYN_SENT_SECONDS);
        // Room for every tuple: the NAT ports must run out before the table does.
        Topology t = seed.withLimits(new RouterLimits(200_000, seed.limits().maxNeighbors(),
                seed.limits().maxRoutes(), timeouts));
        PrintStream stderr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (ScenarioLab net = ScenarioLab.up(t)) {
            System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
            long started = System.nanoTime();
            // 192.168.1.99 does not exist: its SYNs stay unanswered, so their connections wait out their timeout.
            List<Process> floods = List.of(
                    Cmd.startInNs(net.ns("red"), "timeout", "8", "hping3", "-S", "-p", "80", "-i", "u20", "192.168.1.99"),
                    Cmd.startInNs(net.ns("blue"), "timeout", "8", "hping3", "-S", "-p", "80", "-i", "u20", "192.168.1.99"));
            for (Process f : floods) {
                f.waitFor(30, TimeUnit.SECONDS);
            }
            double floodSeconds = (System.nanoTime() - started) / 1e9;
            System.setErr(stderr);
            long exhausted = drops(net.lab(), "nat-ports-exhausted");
            long logLines = log.toString(StandardCharsets.UTF_8).lines()
                    .filter(l -> l.contains("no free source port")).count();
            System.out.printf("nat exhaustion: %.1f s of flood, conntrack %s, nat-ports-exhausted %d, %d log lines%n",
                    floodSeconds, net.dataplane().conntrackCounters(), exhausted, logLines);
            assertTrue(exhausted > 0, "refused connections counted as nat-ports-exhausted");
            assertTrue(logLines >= 1 && logLines <= Math.ceil(floodSeconds) + 1,
                    "logged about once a second, not per packet: " + logLines + " lines in " + floodSeconds + " s");
            assertTrue(Cmd.inNs(net.ns("red"), 15, "ping", "-c", "2", "-W", "2", "192.168.15.2").ok(),
                    "the switch still forwards");
            // Once the half-open connections time out, new connections are masqueraded again.
            Thread.sleep(TimeUnit.SECONDS.toMillis(SYN_SENT_SECONDS + 3));
            byte[] d = Transfer.randomBytes(3, 256 * 1024);
            Transfer.assertSameBytes(d, Transfer.tcp(net.ns("red"), net.ns("lan"), "192.168.1.3", 7901, d),
                    "a new masqueraded connection after recovery");
        } finally {
            System.setErr(stderr);
        }
        LeakCheck.assertNoLeaks();
    }

    private static long drops(Lab lab, String reason) {
        long n = 0;
        for (PortStats p : lab.dataplane().portStats()) {
            n += p.drops().getOrDefault(reason, 0L);
        }
        return n;
    }
}
