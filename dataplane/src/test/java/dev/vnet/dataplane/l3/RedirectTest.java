package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.RouterHarness;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.vnet.dataplane.testing.RouterHarness.GW1;
import static dev.vnet.dataplane.testing.RouterHarness.GW1_IP;
import static dev.vnet.dataplane.testing.RouterHarness.H1;
import static dev.vnet.dataplane.testing.RouterHarness.H1_IP;
import static dev.vnet.dataplane.testing.RouterHarness.H2;
import static dev.vnet.dataplane.testing.RouterHarness.H2_IP;
import static dev.vnet.dataplane.testing.RouterHarness.UPLINK_IP;
import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * ICMP redirects, as the kernel sends them: a packet the router sends back out by the interface it came in on is
 * forwarded, and its sender is told the better first hop, at most as often as the kernel's per-host backoff allows.
 */
class RedirectTest {
    private static final int IP = Ethernet.HEADER_LEN;
    /** Reached through h2, a host on the same bridge as h1 (a static route). */
    private static final int BEHIND_H2 = parse("198.51.100.7");

    private static RouterHarness harness() {
        RouterHarness h = new RouterHarness().withSeedNat();
        h.router.addRoute(parse("198.51.100.0"), 24, H2_IP);
        for (var p : List.of(h.p1, h.p2, h.p3, h.uplink)) {
            h.sent(p);
        }
        return h;
    }

    private static ByteBuf toBehindH2(int srcPort) {
        return FrameBuilder.udp(GW1, H1, H1_IP, BEHIND_H2, srcPort, 53, new byte[12]);
    }

    @Test
    void aPacketSentBackWhereItCameFromIsForwardedAndItsSenderRedirected() {
        try (RouterHarness h = harness()) {
            ByteBuf probe = toBehindH2(4000);
            probe.setByte(IP + Ipv4.TTL, 63); // what the quote shows: the TTL as it left the router
            Ipv4.updateChecksum(probe, IP);
            String forwardedHeader = ByteBufUtil.hexDump(probe, IP, 8);
            h.send(h.p1, toBehindH2(4000));
            probe.release();
            ByteBuf forwarded = h.sent(h.p2).get(0);
            assertEquals(H2, Ethernet.dst(forwarded, 0), "forwarded to h2 all the same");
            assertEquals(BEHIND_H2, Ipv4.dst(forwarded, IP));
            List<ByteBuf> toH1 = h.sent(h.p1);
            assertEquals(1, toH1.size());
            ByteBuf redirect = toH1.get(0);
            assertNull(Ipv4.check(redirect, IP, redirect.readableBytes() - IP));
            int icmp = IP + Ipv4.MIN_HEADER_LEN;
            assertNull(Icmp4.check(redirect, icmp, Ipv4.totalLength(redirect, IP) - Ipv4.MIN_HEADER_LEN));
            assertEquals(Icmp4.TYPE_REDIRECT, Icmp4.type(redirect, icmp));
            assertEquals(1, Icmp4.code(redirect, icmp), "redirect for the host");
            assertEquals(H2_IP, redirect.getInt(icmp + 4), "the better first hop");
            assertEquals(GW1_IP, Ipv4.src(redirect, IP), "from the gateway h1 used");
            assertEquals(H1_IP, Ipv4.dst(redirect, IP));
            assertEquals(forwardedHeader, ByteBufUtil.hexDump(redirect, icmp + Icmp4.HEADER_LEN, 8),
                    "quotes the packet as forwarded");
            h.assertCountersAddUp();
        }
    }

    @Test
    void aHostThatIgnoresRedirectsGetsFewerAndFewerThenNoneUntilItPauses() {
        try (RouterHarness h = harness()) {
            int[] redirectsPerStep = new int[12];
            for (int step = 0; step < redirectsPerStep.length; step++) {
                for (int i = 0; i < 5; i++) {
                    h.send(h.p1, toBehindH2(4000 + i));
                }
                redirectsPerStep[step] = h.sent(h.p1).size();
                assertEquals(5, h.sent(h.p2).size(), "every packet forwarded");
                // Wait more than the next gap: 20 ms, 40 ms, ... doubling after each redirect sent.
                // After the ninth, the same 10.24 s each time: less than the 20.48 s of quiet that starts afresh.
                int shift = Math.min(step + 1, RedirectLimit.MAX_IN_A_ROW);
                h.clock.advance((RedirectLimit.LOAD_NANOS << shift) + 1, TimeUnit.NANOSECONDS);
            }
            assertEquals("[1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]", java.util.Arrays.toString(redirectsPerStep),
                    "nine, one per gap, then silence while h1 keeps sending");
            assertEquals(9, h.router.redirectsSent(), "counted for vnet stats");
            h.clock.advance(RedirectLimit.SILENCE_NANOS + 1, TimeUnit.NANOSECONDS);
            h.send(h.p1, toBehindH2(5000));
            assertEquals(1, h.sent(h.p1).size(), "after 20.48 s of quiet, h1 is told again");
        }
    }

    @Test
    void noRedirectAboutAPortForwardUsedFromTheInsideOrToASenderOffTheSubnet() {
        try (RouterHarness h = harness()) {
            // Hairpin: h1 to the uplink's port 80, forwarded to h2 on h1's own bridge.
            for (int i = 0; i < 2; i++) {
                h.send(h.p1, FrameBuilder.tcp(GW1, H1, H1_IP, UPLINK_IP, 40000, 80, i == 0 ? 0x02 : 0x10,
                        new byte[0]));
            }
            assertEquals(2, h.sent(h.p2).size(), "the hairpin works");
            assertEquals(0, h.sent(h.p1).size(), "and h1 is not told to go to h2 directly");
            // A sender that is not on the bridge's subnet could not use h2 directly.
            h.send(h.p1, FrameBuilder.udp(GW1, H1, parse("203.0.113.9"), BEHIND_H2, 4000, 53, new byte[4]));
            assertEquals(1, h.sent(h.p2).size());
            assertEquals(0, h.sent(h.p1).size());
        }
    }
}
