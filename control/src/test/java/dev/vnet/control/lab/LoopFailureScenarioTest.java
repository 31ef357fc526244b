package dev.vnet.control.lab;

import dev.vnet.control.testing.Cmd;
import dev.vnet.control.testing.RootScenario;
import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.l3.RouterLimits;
import dev.vnet.dataplane.loop.PollMode;
import dev.vnet.dataplane.port.TapOptions;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.util.Clock;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real TAP's event loop when the buffer it copies a small frame into cannot be allocated (the copybreak copy, under
 * paranoid leak detection): a {@code RuntimeException} costs that frame, counted as internal-error, and the loop
 * goes on; an {@code Error} reaches the dataplane's loop failure handler. Nothing leaks either way.
 */
class LoopFailureScenarioTest {
    private String prefix;
    private Dataplane dp;
    private final FaultyAllocator alloc = new FaultyAllocator();

    /** Fails the next {@code failures} allocations of a small (copybreak) buffer. */
    private static final class FaultyAllocator extends PooledByteBufAllocator {
        final AtomicInteger failures = new AtomicInteger();
        volatile boolean asError;

        FaultyAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            if (initialCapacity <= 2048 && failures.getAndDecrement() > 0) {
                if (asError) {
                    throw new OutOfMemoryError("injected: no direct memory for a copybreak buffer");
                }
                throw new IllegalStateException("injected: copybreak allocation failed");
            }
            return super.newDirectBuffer(initialCapacity, maxCapacity);
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        RootScenario.require("ip", "ping");
        prefix = RootScenario.uniquePrefix();
        dp = Dataplane.start(Clock.SYSTEM, alloc, RouterLimits.defaults(), PollMode.SLEEP, 1);
        dp.addBridge("br0", BridgeOptions.defaults());
        attach("a", "198.51.100.1/24");
        attach("b", "198.51.100.2/24");
    }

    private void attach(String name, String address) throws Exception {
        String ns = prefix + name;
        String tap = prefix.replace("-", "") + name; // a root-namespace link: vt<hex><name>, as CI checks
        Cmd.run(10, "ip", "netns", "add", ns).assertOk();
        dp.addTapPort(name, tap, "br0", TapOptions.defaults());
        assertTrue(Cmd.run(10, "ip", "link", "set", "dev", tap, "netns", ns).ok(), "TAP moved into " + ns);
        Cmd.inNs(ns, 10, "ip", "addr", "add", address, "dev", tap).assertOk();
        Cmd.inNs(ns, 10, "ip", "link", "set", "dev", tap, "up").assertOk();
    }

    @AfterEach
    void tearDown() {
        alloc.failures.set(0);
        if (dp != null) {
            dp.close();
        }
        if (prefix != null) {
            Cmd.deleteNamespaces(prefix);
            assertFalse(Cmd.namespaces().stream().anyMatch(n -> n.startsWith(prefix)), "namespaces removed");
        }
        LeakCheck.assertNoLeaks();
    }

    private boolean ping() {
        return Cmd.inNs(prefix + "a", 15, "ping", "-c", "1", "-W", "2", "198.51.100.2").ok();
    }

    private long internalErrors() {
        return dp.portStats().stream().mapToLong(p -> p.drops().getOrDefault("internal-error", 0L)).sum();
    }

    @Test
    void aFailedCopybreakAllocationCostsOneFrameAndTheLoopGoesOn() throws Exception {
        assertTrue(ping(), "a reaches b before the fault");
        alloc.failures.set(1);
        Cmd.Result lossy = Cmd.inNs(prefix + "a", 20, "ping", "-c", "3", "-i", "0.3", "-W", "2", "198.51.100.2");
        assertTrue(alloc.failures.get() <= 0, "the fault fired: " + lossy);
        assertTrue(lossy.out().contains("2 received") || lossy.out().contains("3 received"),
                "at most one echo lost to the fault: " + lossy);
        assertEquals(1, internalErrors(), "the lost frame is counted as internal-error: " + dp.portStats());
        assertTrue(ping(), "the loop goes on forwarding");
    }

    @Test
    void anErrorOnTheLoopReachesTheFailureHandlerAndLeaksNothing() throws Exception {
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        dp.onLoopFailure(failure::complete);
        assertTrue(ping(), "a reaches b before the fault");
        alloc.asError = true;
        alloc.failures.set(1);
        Cmd.inNs(prefix + "a", 15, "ping", "-c", "1", "-W", "1", "198.51.100.2");
        Throwable t = failure.get(30, TimeUnit.SECONDS);
        assertInstanceOf(OutOfMemoryError.class, t, "the handler got the Error: " + t);
        assertEquals(2, dp.portStats().size(), "the dataplane still answers (its loop was not left dead)");
    }
}
