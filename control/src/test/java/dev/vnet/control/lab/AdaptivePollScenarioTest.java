package dev.vnet.control.lab;

import dev.vnet.control.testing.Await;
import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.control.testing.ScenarioLab;
import dev.vnet.control.testing.Transfer;
import dev.vnet.control.topology.SeedLab;
import dev.vnet.dataplane.loop.PollMode;
import dev.vnet.dataplane.testing.LeakCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed lab with adaptive polling on two loops (vnet up --poll=adaptive): traffic goes through as with sleeping
 * loops (TCP byte-identical through L2 and MASQUERADE, ping), and once the traffic stops the loops sleep again
 * instead of spinning: over two idle seconds they use a small part of the CPU time a polling loop would.
 */
class AdaptivePollScenarioTest {
    private static final int LOOPS = 2;

    private static ScenarioLab net;

    @BeforeAll
    static void up() throws Exception {
        RootScenario.require("ip", "ping", "nc", "ss");
        net = ScenarioLab.up(SeedLab.topology(), new Lab.Options(PollMode.ADAPTIVE, LOOPS));
    }

    @AfterAll
    static void down() throws IOException {
        if (net != null) {
            net.close();
        }
        LeakCheck.assertNoLeaks();
    }

    @Test
    void trafficGoesThroughAndIdleLoopsSleep() throws Exception {
        byte[] data = Transfer.randomBytes(7, 8 << 20);
        Transfer.assertSameBytes(data, Transfer.tcp(net.ns("red"), net.ns("blue"), "192.168.15.2", 5401, data),
                "red -> blue");
        Transfer.assertSameBytes(data, Transfer.tcp(net.ns("red"), net.ns("lan"), "192.168.1.3", 5402, data),
                "red -> lan through MASQUERADE");
        Cmd.Result ping = Cmd.inNs(net.ns("blue"), 20, "ping", "-c", "3", "-i", "0.2", "-W", "2", "192.168.15.1");
        assertTrue(ping.ok(), ping.toString());

        // Once the traffic stops, the loops must go back to sleep: measured in 500 ms windows until one shows them
        // idle (a loop still polling uses about all of its window), for at most 10 s.
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] ids = net.loopThreadIds();
        long[] window = Await.until(10_000, () -> {
            long cpuBefore = cpu(threads, ids);
            long wallBefore = System.nanoTime();
            Thread.sleep(500);
            return new long[] {cpu(threads, ids) - cpuBefore, (System.nanoTime() - wallBefore) * LOOPS};
        }, w -> w[0] < w[1] / 4);
        assertTrue(window[0] < window[1] / 4, "idle loops sleep: " + TimeUnit.NANOSECONDS.toMillis(window[0])
                + " ms of CPU in " + TimeUnit.NANOSECONDS.toMillis(window[1]) + " ms of loop time (polling would be "
                + "about all of it)");
    }

    private static long cpu(ThreadMXBean threads, long[] ids) {
        long sum = 0;
        for (long id : ids) {
            sum += threads.getThreadCpuTime(id);
        }
        return sum;
    }
}
