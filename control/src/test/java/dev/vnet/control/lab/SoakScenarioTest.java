package dev.vnet.control.lab;

import dev.vnet.control.testing.Await;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.Heap;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.testing.Transfer;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.control.topology.Topology;
import dev.vnet.dataplane.conntrack.ConntrackTimeouts;
import dev.vnet.dataplane.l3.RouterLimits;
import dev.vnet.dataplane.testing.LeakCheck;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A mixed load on the seed lab for a while (-Dvnet.soak.seconds, 60 by default; docs/reliability.md records a 600 s
 * run), with Netty's leak detector at paranoid as in every test: TCP bulk transfers through L2, MASQUERADE and DNAT
 * checked byte for byte, bursts of short connections through MASQUERADE, a UDP stream and pings through the router,
 * all at once. Afterwards: no leak, no transfer differs, the heap back where it was, and the connection table drains
 * to what it held before (short timeouts, so that it drains within seconds).
 */
class SoakScenarioTest {
    private static final long MB = 1024 * 1024;

    @Test
    void aMixedLoadLeavesNothingBehind() throws Exception {
        RootScenario.require("ip", "nc", "ss", "ping", "iperf3");
        long seconds = Long.getLong("vnet.soak.seconds", 60);
        Topology seed = SeedLab.topology();
        ConntrackTimeouts quick = seed.limits().timeouts();
        for (String t : List.of("tcp-fin-wait", "tcp-close-wait", "tcp-last-ack", "tcp-time-wait", "tcp-close",
                "udp", "udp-stream", "icmp", "generic")) {
            quick = quick.with(t, 3);
        }
        Topology t = seed.withLimits(new RouterLimits(seed.limits().maxConnections(), seed.limits().maxNeighbors(),
                seed.limits().maxRoutes(), quick));
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Process> background = new ArrayList<>();
        AtomicLong transfers = new AtomicLong();
        AtomicLong shortConnections = new AtomicLong();
        try (ScenarioLab net = ScenarioLab.up(t)) {
            long heapBefore = Heap.usedAfterGc();
            long connectionsBefore = net.dataplane().conntrackCounters().get("entries");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            // A server in lan that takes short connections one after another.
            background.add(Cmd.startInNs(net.ns("lan"), "nc", "-lk", "7700"));
            assertTrue(Cmd.waitForListener(net.ns("lan"), "tcp", 7700));
            List<Thread> workers = new ArrayList<>();
            workers.add(worker("bulk L2 and MASQUERADE", deadline, failures, round -> {
                byte[] d = Transfer.randomBytes(round, (int) (4 * MB));
                boolean l2 = round % 2 == 0;
                Transfer.assertSameBytes(d, Transfer.tcp(net.ns("red"), net.ns(l2 ? "blue" : "lan"),
                        l2 ? "192.168.15.2" : "192.168.1.3", 7800 + (int) (round % 100), d), "bulk " + round);
                transfers.incrementAndGet();
            }));
            workers.add(worker("bulk DNAT", deadline, failures, round -> {
                byte[] d = Transfer.randomBytes(1000 + round, (int) (2 * MB));
                Transfer.assertSameBytes(d, Transfer.tcp(net.ns("lan"), net.ns("blue"), "192.168.1.2", 80, d),
                        "DNAT " + round);
                transfers.incrementAndGet();
            }));
            workers.add(worker("short connections", deadline, failures, round -> {
                Cmd.Result r = Cmd.inNs(net.ns("blue"), 60, "sh", "-c",
                        "for i in $(seq 20); do echo hello | nc -N -w 2 192.168.1.3 7700 || exit 1; done");
                assertEquals(0, r.exit(), "20 short connections from blue through MASQUERADE: " + r);
                shortConnections.addAndGet(20);
            }));
            workers.add(worker("UDP stream", deadline, failures, round -> {
                // A one-test server per round on a port of its own: a server kept across rounds may still be
                // closing the last test when the next client connects, and refuses it as busy.
                int port = 5401 + (int) (round % 50);
                Process sink = Cmd.startInNs(net.ns("lan"), "iperf3", "-s", "-1", "-p", Integer.toString(port));
                try {
                    assertTrue(Cmd.waitForListener(net.ns("lan"), "tcp", port), "iperf3 server on " + port);
                    Cmd.Result r = Cmd.inNs(net.ns("red"), 60, "iperf3", "-c", "192.168.1.3", "-p",
                            Integer.toString(port), "-u", "-b", "20M", "-t", "5");
                    assertEquals(0, r.exit(), "UDP through MASQUERADE: " + r);
                } finally {
                    sink.destroy();
                    sink.waitFor(5, TimeUnit.SECONDS);
                }
            }));
            workers.add(worker("ping", deadline, failures, round -> {
                Cmd.Result r = Cmd.inNs(net.ns("blue"), 60, "ping", "-q", "-c", "25", "-i", "0.2", "-W", "2",
                        "192.168.1.3");
                assertEquals(0, r.exit(), "pings from blue to lan all answered: " + r);
            }));
            workers.forEach(Thread::start);
            for (Thread w : workers) {
                Await.joined(w, TimeUnit.SECONDS.toMillis(seconds + 180));
            }
            assertTrue(failures.isEmpty(), "every transfer byte-identical, every exchange answered: " + failures);
            background.forEach(p -> p.destroy());
            // The connections end and time out (3 s here); the table drains to where it was.
            long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long entries;
            while ((entries = net.dataplane().conntrackCounters().get("entries")) > connectionsBefore + 2
                    && System.nanoTime() < drainDeadline) {
                Thread.sleep(500);
            }
            Map<String, Long> ct = net.dataplane().conntrackCounters();
            Map<String, Long> p = net.dataplane().pipelineCounters();
            long heapGrowth = Heap.usedAfterGc() - heapBefore;
            System.out.printf("soak: %d s, %d bulk transfers, %d short connections, conntrack %s, pipeline %s, heap "
                    + "%+.1f MB%n", seconds, transfers.get(), shortConnections.get(), ct, p, heapGrowth / (double) MB);
            assertTrue(entries <= connectionsBefore + 2, "the connection table drained: " + ct);
            assertEquals(p.get("received"), p.get("forwarded") + p.get("flooded") + p.get("dropped")
                    + p.get("consumed") + p.get("local"), "every frame accounted for: " + p);
            assertTrue(heapGrowth < 32 * MB, "the heap is back where it was: " + heapGrowth / MB + " MB more");
            assertTrue(transfers.get() > 0 && shortConnections.get() > 0, "the load ran");
        } finally {
            for (Process b : background) {
                b.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        LeakCheck.assertNoLeaks();
    }

    /** A piece of the load, run round after round until {@code deadline}; its first failure ends it. */
    private interface Round {
        void run(long round) throws Exception;
    }

    private static Thread worker(String name, long deadline, List<Throwable> failures, Round round) {
        Thread t = new Thread(() -> {
            for (long i = 0; System.nanoTime() < deadline; i++) {
                try {
                    round.run(i);
                } catch (Throwable e) {
                    failures.add(new AssertionError(name + ", round " + i + ": " + e.getMessage(), e));
                    return;
                }
            }
        }, "soak " + name);
        t.setDaemon(true);
        return t;
    }

}
