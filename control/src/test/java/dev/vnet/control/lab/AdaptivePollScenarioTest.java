package dev.vnet.control.lab;

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

        Thread.sleep(200); // past the polling window of the last frame
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long[] ids = net.loopThreadIds();
        long cpuBefore = cpu(threads, ids);
        long wallBefore = System.nanoTime();
        Thread.sleep(2000);
        long cpu = cpu(threads, ids) - cpuBefore;
        long wall = (System.nanoTime() - wallBefore) * LOOPS;
        assertTrue(cpu < wall / 4, "idle loops sleep: " + TimeUnit.NANOSECONDS.toMillis(cpu) + " ms of CPU in "
                + TimeUnit.NANOSECONDS.toMillis(wall) + " ms of loop time (polling would be about all of it)");
    }

    private static long cpu(ThreadMXBean threads, long[] ids) {
        long sum = 0;
        for (long id : ids) {
            sum += threads.getThreadCpuTime(id);
        }
        return sum;
    }
}
