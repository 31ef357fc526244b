package dev.vnet.dataplane.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.conntrack.ConntrackTimeouts;
import dev.vnet.dataplane.l3.RouterLimits;
import dev.vnet.dataplane.port.MemoryPort;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.testing.RouterHarness;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole dataplane fed hostile frames: two bridges, the router and the seed lab's NAT (MASQUERADE out of the
 * uplink, two port forwards), IPv6 addresses on br1 and the uplink, a filter policy that br1 also applies to what
 * it switches, on in-memory ports, with small tables so that fuzzing reaches their bounds. An input is
 * a script ({@link FuzzScript}): frames on any of the four ports, with or without offload state, and jumps of the
 * clock that run aging and the router's timer.
 *
 * <p>After each input: nothing threw out of the pipeline and no stage threw inside it ({@code internal-error} stays
 * 0), every frame is accounted for once (in = forwarded + flooded + dropped + consumed + local), every table is within
 * its bound, and, once the outputs are taken and the ARP queues cleared, every byte the dataplane allocated (frames
 * fed and frames it built) has been released: the allocator's count of live direct memory is back at 0.
 */
class PipelineFuzzTest {
    static final int FDB_ENTRIES = 16;
    static final int CONNECTIONS = 32;
    static final int NEIGHBORS = 8;

    static {
        FuzzScript.quietLeakDetectorWhileFuzzing();
    }

    @FuzzTest(maxDuration = "")
    void frames(byte[] input) {
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true);
        RouterHarness h = new RouterHarness(new RouterLimits(CONNECTIONS, NEIGHBORS, 64, ConntrackTimeouts.defaults()),
                alloc, FDB_ENTRIES).withSeedNat();
        // IPv6 on both bridges, fd00:15::/64 masqueraded out of br2 and a port forward on br2's address: neighbour
        // discovery, pings, advertisements, forwarding and NAT66 are fuzzed too.
        h.router.addAddress6(h.router.interfaces().get(0), dev.vnet.dataplane.wire.Ipv6Cidr.parse("fd00:15::5/64"));
        h.router.addAddress6(h.router.interfaces().get(1), dev.vnet.dataplane.wire.Ipv6Cidr.parse("fd00:16::5/64"));
        h.router.natRules().add(new dev.vnet.dataplane.nat.NatRules.Masquerade6(
                dev.vnet.dataplane.wire.Ipv6Cidr.parse("fd00:15::/64"), 1));
        h.router.natRules().add(new dev.vnet.dataplane.nat.NatRules.PortForward6(17,
                dev.vnet.dataplane.wire.Ipv6Address.parse("fd00:16::5"), 5353, 5353,
                dev.vnet.dataplane.wire.Ipv6Address.parse("fd00:15::2"), 53));
        // A policy (reject TCP to port 22, drop UDP to port 9, from anywhere) and br1 filtering what it switches:
        // the rules' decisions, their rejects' answers and the switched connections are fuzzed too.
        dev.vnet.dataplane.filter.FilterRule.Action reject = dev.vnet.dataplane.filter.FilterRule.Action.REJECT;
        int any = dev.vnet.dataplane.filter.FilterRule.ANY;
        h.router.policy().set(List.of(
                new dev.vnet.dataplane.filter.FilterRule(0, any, any, null, null, 6, 22, 22, 0, any, reject),
                new dev.vnet.dataplane.filter.FilterRule(1, any, any, null, null, 17, 9, 9, 0, any,
                        dev.vnet.dataplane.filter.FilterRule.Action.DROP)),
                List.of("tcp port 22 reject", "udp port 9 drop"), dev.vnet.dataplane.filter.FilterRule.Action.ACCEPT);
        h.router.filterSwitched(h.br1, h.router.interfaces().get(0), true);
        MemoryPort[] ports = {h.p1, h.p2, h.p3, h.uplink};
        try {
            FuzzScript.run(input, alloc, new FuzzScript.Target() {
                @Override
                public void frame(int port, ByteBuf frame, long offload) {
                    ports[port % ports.length].inject(frame, offload);
                }

                @Override
                public void advance(long seconds) {
                    h.clock.advance(seconds, TimeUnit.SECONDS);
                    long now = h.clock.nanos();
                    h.br1.table().expire(now);
                    h.br2.table().expire(now);
                    h.router.conntrack().expire(now);
                    h.tick();
                }
            });
            for (Port p : List.of(h.p1, h.p2, h.p3, h.uplink, h.gw1Port, h.gw2Port)) {
                assertEquals(0, p.counters().drops(DropReason.INTERNAL_ERROR), "a stage threw on " + p.name());
            }
            h.assertCountersAddUp();
            assertTrue(h.br1.table().size() <= FDB_ENTRIES && h.br2.table().size() <= FDB_ENTRIES, "MAC tables");
            assertTrue(h.router.conntrack().size() <= CONNECTIONS, "connection table");
            assertTrue(h.router.neighbors().size() <= NEIGHBORS, "neighbor table");
        } finally {
            h.close(); // takes and releases every output, clears the ARP queues
        }
        assertEquals(0, alloc.metric().usedDirectMemory(), "every buffer released");
    }
}
