package dev.vnet.control.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vnet.control.netns.IpRoute2;
import dev.vnet.control.testing.Await;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.testing.Transfer;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.dataplane.api.ConnectionEntry;
import dev.vnet.dataplane.api.PortStats;
import dev.vnet.dataplane.loop.PollMode;
import dev.vnet.dataplane.testing.LeakCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed lab on two event loops: every TAP is a multi-queue TAP with a queue per loop, the kernel spreads flows over
 * the queues, and both loops forward at once through the shared bridge, router and connection table. Sixteen UDP
 * streams (iperf3, which numbers its datagrams) arrive complete and in order through L2 and MASQUERADE, each loop
 * carries a share, the connection table holds exactly one connection per stream, and parallel TCP transfers through
 * MASQUERADE and DNAT arrive byte-identical.
 */
class MultiQueueScenarioTest {
    private static final int LOOPS = 2;
    private static final int STREAMS = 16;

    private static ScenarioLab net;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "iperf3", "nc", "ss");
        net = ScenarioLab.up(SeedLab.topology(), new Lab.Options(PollMode.SLEEP, LOOPS));
    }

    @AfterAll
    static void down() throws IOException {
        if (net != null) {
            net.close();
        }
        LeakCheck.assertNoLeaks();
    }

    @Test
    void everyTapHasOneQueuePerLoop() {
        assertEquals(LOOPS, net.dataplane().loopCount());
        for (String ns : List.of("red", "blue", "lan")) {
            Cmd.Result link = Cmd.inNs(net.ns(ns), 10, "ip", "-d", "link", "show", "eth0");
            assertTrue(link.ok(), link.toString());
            assertTrue(link.out().contains("multi_queue numqueues " + LOOPS), ns + ": " + link.out());
        }
    }

    @Test
    void udpStreamsSpreadOverTheLoopsKeepTheirOrder() throws Exception {
        List<Long> before = net.dataplane().loopReceived();
        JsonNode l2 = iperfUdp("red", "blue", "192.168.15.2", 5301);
        List<Long> after = net.dataplane().loopReceived();
        checkStreams(l2, "L2");
        long total = 0;
        for (int i = 0; i < LOOPS; i++) {
            total += after.get(i) - before.get(i);
        }
        for (int i = 0; i < LOOPS; i++) {
            long share = after.get(i) - before.get(i);
            assertTrue(share > total / 10, "loop " + i + " carried a share of " + STREAMS + " streams: " + share
                    + " of " + total + " frames");
        }

        JsonNode masq = iperfUdp("red", "lan", "192.168.1.3", 5302);
        checkStreams(masq, "MASQUERADE");
        List<ConnectionEntry> streams = net.dataplane().connections().stream()
                .filter(c -> c.protocol().toString().equals("udp") && c.original().toString().endsWith(":5302")).toList();
        assertEquals(STREAMS, streams.size(), "one connection per stream, whichever loop saw its packets: "
                + streams);
        streams.forEach(c -> assertTrue(c.translated(), c.toString()));
        assertNoDrop("conntrack-clash");
    }

    @Test
    void parallelTcpTransfersThroughNatArriveWhole() throws Exception {
        byte[][] data = new byte[4][];
        for (int i = 0; i < data.length; i++) {
            data[i] = Transfer.randomBytes(i, 6 * 1024 * 1024);
        }
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int i = 0; i < 2; i++) {
            int n = i;
            threads.add(new Thread(() -> { // two through MASQUERADE at once: red -> lan
                try {
                    Transfer.assertSameBytes(data[n], Transfer.tcp(net.ns("red"), net.ns("lan"),
                            "192.168.1.3", 7401 + n,
                            data[n]), "MASQUERADE transfer " + n);
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        threads.forEach(Thread::start);
        // DNAT has one forwarded port (tcp/80): its transfers run beside the MASQUERADE ones, one after the other.
        for (int n = 2; n < data.length; n++) {
            Transfer.assertSameBytes(data[n], Transfer.tcp(net.ns("lan"), net.ns("blue"), "192.168.1.2", 80, data[n]),
                    "DNAT transfer " + n);
        }
        for (Thread t : threads) {
            Await.joined(t, TimeUnit.SECONDS.toMillis(120));
        }
        assertTrue(failures.isEmpty(), failures.toString());
        assertNoDrop("conntrack-clash");
    }

    @Test
    void framesTheKernelDropsInFrontOfAFullTapQueueAreCounted() throws Exception {
        // An unpaced flood of 64-byte frames outruns vnet: the kernel drops at red's TAP queue (it does not push
        // back), and vnet ports shows those drops as kernel-tap-queue-full, the namespace's TX dropped counter.
        Process server = Cmd.startInNs(net.ns("blue"), "iperf3", "-s", "-1", "-p", "5303");
        try {
            assertTrue(Cmd.waitForListener(net.ns("blue"), "tcp", 5303), "iperf3 server listening");
            Cmd.Result r = Cmd.inNs(net.ns("red"), 60, "iperf3", "-c", "192.168.15.2", "-p", "5303", "-u", "-b", "0",
                    "-l", "18", "-t", "2");
            assertEquals(0, r.exit(), r.toString());
        } finally {
            server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        long kernel = new IpRoute2().txDropped(net.ns("red"), "eth0");
        assertTrue(kernel > 0, "the flood overflowed red's TAP queue: " + kernel);
        JsonNode ports = new dev.vnet.control.api.ControlClient(net.stateDir()).get("/ports");
        long shown = -1;
        for (JsonNode p : ports) {
            if (p.path("name").asText().equals(net.ns("red"))) {
                shown = p.path("drops").path("kernel-tap-queue-full").asLong(-1);
            }
        }
        assertEquals(kernel, shown, "vnet ports shows the kernel's count: " + ports);
    }

    private static void assertNoDrop(String reason) {
        for (PortStats s : net.dataplane().portStats()) {
            assertFalse(s.drops().containsKey(reason), s.name() + " dropped as " + reason + ": " + s.drops());
        }
    }

    /** Sixteen paced UDP streams of numbered 1000-byte datagrams for 3 s; iperf3's JSON report. */
    private static JsonNode iperfUdp(String from, String to, String address, int port) throws Exception {
        Process server = Cmd.startInNs(net.ns(to), "iperf3", "-s", "-1", "-p", Integer.toString(port));
        try {
            assertTrue(Cmd.waitForListener(net.ns(to), "tcp", port), "iperf3 server listening");
            Cmd.Result r = Cmd.inNs(net.ns(from), 60, "iperf3", "-c", address, "-p", Integer.toString(port), "-u",
                    "-b", "4M", "-l", "1000", "-P", Integer.toString(STREAMS), "-t", "3", "-J");
            assertEquals(0, r.exit(), r.toString());
            return new ObjectMapper().readTree(r.out());
        } finally {
            server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static void checkStreams(JsonNode report, String path) {
        JsonNode streams = report.path("end").path("streams");
        assertEquals(STREAMS, streams.size(), path + ": " + report.path("end"));
        long lost = 0;
        long packets = 0;
        for (JsonNode s : streams) {
            JsonNode udp = s.path("udp");
            assertEquals(0, udp.path("out_of_order").asLong(-1), path + ": a stream's datagrams arrived out of "
                    + "order: " + udp);
            lost += udp.path("lost_packets").asLong();
            packets += udp.path("packets").asLong();
        }
        assertTrue(packets > 0, path + ": datagrams were sent");
        // Paced at 64 Mbit/s in all, nothing should be lost; a tenth of a percent leaves room for a stalled machine.
        assertTrue(lost * 1000 <= packets, path + ": " + lost + " of " + packets + " datagrams lost");
    }
}
