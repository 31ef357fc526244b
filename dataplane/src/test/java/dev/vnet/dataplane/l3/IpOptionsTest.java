package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.RouterHarness;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Options;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.vnet.dataplane.testing.RouterHarness.GW1;
import static dev.vnet.dataplane.testing.RouterHarness.GW1_IP;
import static dev.vnet.dataplane.testing.RouterHarness.H1;
import static dev.vnet.dataplane.testing.RouterHarness.H1_IP;
import static dev.vnet.dataplane.testing.RouterHarness.LAN_IP;
import static dev.vnet.dataplane.testing.RouterHarness.UPLINK_IP;
import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IP options through the router, by the kernel's rules: record route and timestamps get the router's entries when it
 * forwards or answers a ping, malformed options get ICMP parameter problem, source-routed packets are dropped, and
 * fragments after the first carry only the options marked "copied".
 */
class IpOptionsTest {
    private static final int IP = Ethernet.HEADER_LEN;
    /** 12:00:00.250 UT on some day: the timestamp the router writes is 43 200 250 ms. */
    private static final long NOON = 20_000L * 86_400_000L + 43_200_250L;
    private static final int NOON_STAMP = 43_200_250;

    /** The seed lab's router with every host known, its wall clock fixed at {@link #NOON}, nothing sent yet. */
    private static RouterHarness harness() {
        RouterHarness h = new RouterHarness().withSeedNat();
        h.router.setWallClock(() -> NOON);
        for (var p : List.of(h.p1, h.p2, h.p3, h.uplink)) {
            h.sent(p); // the ARP answers withSeedNat caused
        }
        return h;
    }

    /** The options of the header at {@link #IP}, as unsigned bytes. */
    private static int[] options(ByteBuf f) {
        int n = Ipv4.headerLength(f, IP) - Ipv4.MIN_HEADER_LEN;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = f.getUnsignedByte(IP + Ipv4.MIN_HEADER_LEN + i);
        }
        return out;
    }

    /** Bytes of {@code v}, most significant first, appended to {@code to}. */
    private static List<Integer> word(List<Integer> to, int v) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            to.add((v >>> shift) & 0xFF);
        }
        return to;
    }

    /** A record route option of 9 slots (as {@code ping -R} sends), the first filled by h1 as its kernel does. */
    private static int[] recordRouteFromH1() {
        List<Integer> o = new ArrayList<>(List.of(Ipv4Options.RECORD_ROUTE, 39, 8));
        word(o, H1_IP);
        while (o.size() < 39) {
            o.add(0);
        }
        return o.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void assertSound(ByteBuf f) {
        assertNull(Ipv4.check(f, IP, f.readableBytes() - IP), "IPv4 header (and its checksum) valid");
        if (Ipv4.protocol(f, IP) == Ipv4.PROTO_ICMP && !Ipv4.isFragment(f, IP)) {
            int l4 = IP + Ipv4.headerLength(f, IP);
            assertNull(Icmp4.check(f, l4, Ipv4.totalLength(f, IP) - Ipv4.headerLength(f, IP)), "ICMP valid");
        }
    }

    private static ByteBuf only(List<ByteBuf> frames) {
        assertEquals(1, frames.size(), "exactly one frame");
        return frames.get(0);
    }

    @Test
    void aForwardedPacketRecordsTheInterfaceItLeavesBy() {
        try (RouterHarness h = harness()) {
            ByteBuf ping = FrameBuilder.withOptions(FrameBuilder.icmpEcho(GW1, H1, H1_IP, LAN_IP, 9, 1,
                    "record".getBytes()), recordRouteFromH1());
            h.send(h.p1, ping);
            ByteBuf out = only(h.sent(h.uplink));
            assertSound(out);
            int rr = IP + Ipv4.MIN_HEADER_LEN;
            assertEquals(12, out.getUnsignedByte(rr + 2), "pointer moved past the router's entry");
            assertEquals(H1_IP, out.getInt(rr + 3));
            assertEquals(UPLINK_IP, out.getInt(rr + 7), "the uplink's address, where the packet left");
            assertEquals(0, out.getInt(rr + 11));
            assertEquals(UPLINK_IP, Ipv4.src(out, IP), "MASQUERADE still translated it");
            assertEquals(63, Ipv4.ttl(out, IP));
            h.assertCountersAddUp();
        }
    }

    @Test
    void aFullRecordRouteGoesOnAsItIs() {
        try (RouterHarness h = harness()) {
            List<Integer> o = word(new ArrayList<>(List.of(Ipv4Options.RECORD_ROUTE, 7, 8)), H1_IP);
            ByteBuf ping = FrameBuilder.withOptions(FrameBuilder.icmpEcho(GW1, H1, H1_IP, LAN_IP, 9, 1, new byte[4]),
                    o.stream().mapToInt(Integer::intValue).toArray());
            int[] before = options(ping);
            h.send(h.p1, ping);
            ByteBuf out = only(h.sent(h.uplink));
            assertSound(out);
            assertEquals(Arrays.toString(before), Arrays.toString(options(out)));
        }
    }

    @Test
    void timestampOptionsGetTheRoutersTimeAndAddressAsAsked() {
        try (RouterHarness h = harness()) {
            // Timestamps only: one 4-byte entry.
            h.send(h.p1, FrameBuilder.withOptions(FrameBuilder.icmpEcho(GW1, H1, H1_IP, LAN_IP, 1, 1, new byte[4]),
                    Ipv4Options.TIMESTAMP, 12, 5, Ipv4Options.TS_ONLY, 0, 0, 0, 0, 0, 0, 0, 0));
            ByteBuf tsOnly = only(h.sent(h.uplink));
            assertSound(tsOnly);
            int ts = IP + Ipv4.MIN_HEADER_LEN;
            assertEquals(9, tsOnly.getUnsignedByte(ts + 2));
            assertEquals(NOON_STAMP, tsOnly.getInt(ts + 4), "milliseconds since midnight UT");
            // Address and timestamp.
            h.send(h.p1, FrameBuilder.withOptions(FrameBuilder.icmpEcho(GW1, H1, H1_IP, LAN_IP, 2, 1, new byte[4]),
                    Ipv4Options.TIMESTAMP, 12, 5, Ipv4Options.TS_AND_ADDRESS, 0, 0, 0, 0, 0, 0, 0, 0));
            ByteBuf withAddress = only(h.sent(h.uplink));
            assertEquals(13, withAddress.getUnsignedByte(ts + 2));
            assertEquals(UPLINK_IP, withAddress.getInt(ts + 4));
            assertEquals(NOON_STAMP, withAddress.getInt(ts + 8));
            // Prespecified: the router writes its time only where its own address is next.
            List<Integer> mine = word(new ArrayList<>(List.of(Ipv4Options.TIMESTAMP, 12, 5,
                    Ipv4Options.TS_PRESPECIFIED)), GW1_IP);
            word(mine, 0);
            h.send(h.p1, FrameBuilder.withOptions(FrameBuilder.icmpEcho(GW1, H1, H1_IP, LAN_IP, 3, 1, new byte[4]),
                    mine.stream().mapToInt(Integer::intValue).toArray()));
            ByteBuf prespecified = only(h.sent(h.uplink));
            assertEquals(13, prespecified.getUnsignedByte(ts + 2));
            assertEquals(NOON_STAMP, prespecified.getInt(ts + 8));
            List<Integer> other = word(new ArrayList<>(List.of(Ipv4Options.TIMESTAMP, 12, 5,
                    Ipv4Options.TS_PRESPECIFIED)), LAN_IP);
            word(other, 0);
            h.send(h.p1, FrameBuilder.withOptions(FrameBuilder.icmpEcho(GW1, H1, H1_IP, LAN_IP, 4, 1, new byte[4]),
                    other.stream().mapToInt(Integer::intValue).toArray()));
            ByteBuf notMine = only(h.sent(h.uplink));
            assertEquals(5, notMine.getUnsignedByte(ts + 2), "lan's turn, not the router's");
            assertEquals(0, notMine.getInt(ts + 8));
            // Full: the router counts itself in the overflow nibble.
            h.send(h.p1, FrameBuilder.withOptions(FrameBuilder.icmpEcho(GW1, H1, H1_IP, LAN_IP, 5, 1, new byte[4]),
                    Ipv4Options.TIMESTAMP, 8, 9, 0x20 | Ipv4Options.TS_ONLY, 1, 2, 3, 4));
            ByteBuf full = only(h.sent(h.uplink));
            assertSound(full);
            assertEquals(0x30, full.getUnsignedByte(ts + 3), "overflow 2 -> 3");
            assertEquals(0x01020304, full.getInt(ts + 4));
            h.assertCountersAddUp();
        }
    }

    @Test
    void malformedOptionsAreAnsweredWithParameterProblemPointingAtTheBadByte() {
        try (RouterHarness h = harness()) {
            int[][] cases = {
                {Ipv4Options.RECORD_ROUTE, 2, 4, 0}, // too short for its pointer: byte 21
                {Ipv4Options.NOOP, Ipv4Options.RECORD_ROUTE, 60, 4}, // longer than the header: byte 21
                {Ipv4Options.RECORD_ROUTE, 7, 3, 0, 0, 0, 0}, // pointer below 4: byte 22
                {Ipv4Options.RECORD_ROUTE, 6, 4, 0, 0, 0}, // room left, but not for an address: byte 22
                {Ipv4Options.TIMESTAMP, 8, 9, 0xF0, 0, 0, 0, 0}, // full, overflow cannot count past 15: byte 23
                {Ipv4Options.RECORD_ROUTE, 3, 4, Ipv4Options.RECORD_ROUTE, 3, 4}, // a second record route: byte 23
            };
            int[] pointers = {21, 21, 22, 22, 23, 23};
            for (int i = 0; i < cases.length; i++) {
                ByteBuf bad = FrameBuilder.withOptions(FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 4000 + i, 53,
                        new byte[8]), cases[i]);
                String quoted = ByteBufUtil.hexDump(bad, IP, Ipv4.headerLength(bad, IP));
                h.send(h.p1, bad);
                ByteBuf err = only(h.sent(h.p1));
                assertSound(err);
                int icmp = IP + Ipv4.MIN_HEADER_LEN;
                assertEquals(Icmp4.TYPE_PARAMETER_PROBLEM, Icmp4.type(err, icmp), "case " + i);
                assertEquals(0, Icmp4.code(err, icmp));
                assertEquals(pointers[i], err.getUnsignedByte(icmp + 4), "case " + i + ": the pointer");
                assertEquals(GW1_IP, Ipv4.src(err, IP));
                assertEquals(H1_IP, Ipv4.dst(err, IP));
                assertEquals(quoted, ByteBufUtil.hexDump(err, icmp + Icmp4.HEADER_LEN, quoted.length() / 2),
                        "quotes the header as sent");
            }
            assertEquals(0, h.sent(h.uplink).size(), "none forwarded");
            assertEquals(cases.length, h.gw1Port.counters().drops(DropReason.IPV4_BAD_OPTIONS));
            h.assertCountersAddUp();
        }
    }

    @Test
    void sourceRoutedPacketsAreDroppedSilentlyAsByTheKernel() {
        try (RouterHarness h = harness()) {
            for (int type : new int[] {Ipv4Options.LOOSE_SOURCE_ROUTE, Ipv4Options.STRICT_SOURCE_ROUTE}) {
                List<Integer> o = word(new ArrayList<>(List.of(type, 7, 4)), LAN_IP);
                h.send(h.p1, FrameBuilder.withOptions(FrameBuilder.udp(GW1, H1, H1_IP, UPLINK_IP, 4000, 53,
                        new byte[8]), o.stream().mapToInt(Integer::intValue).toArray()));
            }
            assertEquals(0, h.sent(h.p1).size(), "no ICMP: the kernel drops them without a word");
            assertEquals(0, h.sent(h.uplink).size());
            assertEquals(2, h.gw1Port.counters().drops(DropReason.IPV4_SOURCE_ROUTED));
            h.assertCountersAddUp();
        }
    }

    @Test
    void aPingToTheGatewayWithRecordRouteShowsItTwiceAsFromTheKernel() {
        try (RouterHarness h = harness()) {
            int[] rr = recordRouteFromH1();
            int[] withNoop = new int[rr.length + 1];
            withNoop[0] = Ipv4Options.NOOP;
            System.arraycopy(rr, 0, withNoop, 1, rr.length);
            ByteBuf ping = FrameBuilder.withOptions(FrameBuilder.icmpEcho(GW1, H1, H1_IP, GW1_IP, 77, 3,
                    "echo me".getBytes()), withNoop);
            h.send(h.p1, ping);
            ByteBuf reply = only(h.sent(h.p1));
            assertSound(reply);
            assertEquals(GW1_IP, Ipv4.src(reply, IP));
            assertEquals(H1_IP, Ipv4.dst(reply, IP));
            int[] o = options(reply);
            assertEquals(40, o.length);
            assertEquals(Ipv4Options.RECORD_ROUTE, o[0], "the no-op is not echoed: record route comes first");
            assertEquals(16, o[2], "two entries added");
            int opt = IP + Ipv4.MIN_HEADER_LEN;
            assertEquals(H1_IP, reply.getInt(opt + 3));
            assertEquals(GW1_IP, reply.getInt(opt + 7), "on receipt");
            assertEquals(GW1_IP, reply.getInt(opt + 11), "on sending the reply");
            assertEquals(0, reply.getInt(opt + 15));
            int icmp = IP + Ipv4.headerLength(reply, IP);
            assertEquals(Icmp4.TYPE_ECHO_REPLY, Icmp4.type(reply, icmp));
            assertEquals(77, Icmp4.echoId(reply, icmp));
            assertEquals("echo me", reply.toString(icmp + Icmp4.HEADER_LEN, 7, StandardCharsets.US_ASCII));
            h.assertCountersAddUp();
        }
    }

    @Test
    void aPingToTheGatewayWithTimestampsGetsTheTimeOnReceiptAndOnReply() {
        try (RouterHarness h = harness()) {
            h.send(h.p1, FrameBuilder.withOptions(FrameBuilder.icmpEcho(GW1, H1, H1_IP, GW1_IP, 5, 1, new byte[8]),
                    Ipv4Options.NOOP, Ipv4Options.ROUTER_ALERT, 4, 0, 0, // neither is echoed
                    Ipv4Options.TIMESTAMP, 12, 5, Ipv4Options.TS_ONLY, 0, 0, 0, 0, 0, 0, 0, 0));
            ByteBuf reply = only(h.sent(h.p1));
            assertSound(reply);
            int[] o = options(reply);
            assertEquals(12, o.length, "the timestamp option alone");
            int ts = IP + Ipv4.MIN_HEADER_LEN;
            assertEquals(Ipv4Options.TIMESTAMP, o[0]);
            assertEquals(13, o[2]);
            assertEquals(NOON_STAMP, reply.getInt(ts + 4));
            assertEquals(NOON_STAMP, reply.getInt(ts + 8));
        }
    }

    @Test
    void laterFragmentsCarryOnlyTheCopiedOptions() {
        try (RouterHarness h = harness()) {
            // Router alert is marked copied; record route is not. 2400 bytes do not fit the uplink's MTU of 1000.
            int[] opts = {Ipv4Options.ROUTER_ALERT, 4, 0, 0, Ipv4Options.RECORD_ROUTE, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0};
            ByteBuf big = FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 4000, 9000, new byte[2400]);
            big.setShort(IP + Ipv4.FLAGS_FRAGMENT, 0); // DF off: fragmented, not refused
            Ipv4.updateChecksum(big, IP);
            h.send(h.p1, FrameBuilder.withOptions(big, opts));
            List<ByteBuf> out = h.sent(h.uplink);
            assertTrue(out.size() >= 3, "fragmented: " + out.size());
            int[] first = options(out.get(0));
            assertEquals(16, first.length);
            assertEquals(Ipv4Options.ROUTER_ALERT, first[0]);
            assertEquals(Ipv4Options.RECORD_ROUTE, first[4]);
            assertEquals(8, first[6], "the router's entry");
            for (ByteBuf f : out.subList(1, out.size())) {
                assertSound(f);
                int[] later = options(f);
                assertEquals(16, later.length, "the header keeps its length");
                assertEquals(Ipv4Options.ROUTER_ALERT, later[0], "copied into every fragment");
                for (int i = 4; i < 15; i++) {
                    assertEquals(Ipv4Options.NOOP, later[i], "record route is for the first fragment only");
                }
            }
            h.assertCountersAddUp();
        }
    }
}
