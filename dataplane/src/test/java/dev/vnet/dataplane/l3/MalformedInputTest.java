package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.testing.RouterHarness;
import dev.vnet.dataplane.wire.Checksum;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.Tcp;
import dev.vnet.dataplane.wire.Udp;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import static dev.vnet.dataplane.testing.RouterHarness.GW1;
import static dev.vnet.dataplane.testing.RouterHarness.GW_UPLINK;
import static dev.vnet.dataplane.testing.RouterHarness.H1;
import static dev.vnet.dataplane.testing.RouterHarness.H2;
import static dev.vnet.dataplane.testing.RouterHarness.LAN;
import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The malformed-input catalogue: every kind of broken, truncated or unusual frame a tenant can send, each fed to the
 * seed lab's dataplane (two bridges, router, MASQUERADE and port forwards) on its own, with what must happen: dropped
 * and counted under its named reason on the port it came in by (the bridge's for L2 faults, the router's port for L3
 * and above), or handled as the kernel handles it. After each: every frame accounted for once, and (at the end) no
 * buffer leaked.
 */
class MalformedInputTest {
    private static final int IP = Ethernet.HEADER_LEN;
    private static final int L4 = IP + Ipv4.MIN_HEADER_LEN;
    private static final int H1_IP = parse("192.168.15.1");
    private static final int UP_IP = parse("192.168.1.2");
    private static final int LAN_IP = parse("192.168.1.3");

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    /** An IPv6 echo request from h1 (fd00:15::1) to {@code to}, sent to the router's MAC. */
    private static ByteBuf v6EchoTo(String to) {
        return dev.vnet.dataplane.testing.Frames6.echoRequest(GW1, H1,
                dev.vnet.dataplane.wire.Ipv6Address.parse("fd00:15::1"), dev.vnet.dataplane.wire.Ipv6Address.parse(to),
                1, 1, new byte[8]);
    }

    /** One entry: a frame on a port of the harness and what must follow. */
    private record Case(String name, Function<RouterHarness, Port> in, ByteBuf frame, Consumer<RouterHarness> then) {
    }

    private static Consumer<RouterHarness> dropped(Function<RouterHarness, Port> at, DropReason reason) {
        return h -> {
            assertEquals(1, at.apply(h).counters().drops(reason), "counted as " + reason.label() + " on "
                    + at.apply(h).name());
            for (ByteBuf f : h.sent(h.uplink)) {
                throw new AssertionError("nothing may leave by the uplink, got " + f);
            }
        };
    }

    /** As {@link #dropped}, and nothing answered to the sender either. */
    private static Consumer<RouterHarness> silentlyDropped(Function<RouterHarness, Port> at, DropReason reason) {
        return h -> {
            dropped(at, reason).accept(h);
            assertTrue(h.sent(h.p1).isEmpty(), "no answer");
        };
    }

    /**
     * Held for its datagram's first fragment, with nothing sent; dropped as {@code fragment-timeout} once its wait
     * (2 s) is over, and not before.
     */
    private static Consumer<RouterHarness> heldThenTimedOut(Function<RouterHarness, Port> at) {
        return h -> {
            assertEquals(1, h.router.fragmentsWaiting(), "held");
            assertEquals(0, at.apply(h).counters().dropsTotal(), "not dropped yet");
            h.clock.advance(1900, TimeUnit.MILLISECONDS);
            h.tick();
            assertEquals(1, h.router.fragmentsWaiting(), "still waiting at 1.9 s");
            h.clock.advance(100, TimeUnit.MILLISECONDS);
            h.tick();
            assertEquals(0, h.router.fragmentsWaiting(), "its wait is over");
            assertEquals(1, at.apply(h).counters().drops(DropReason.FRAGMENT_TIMEOUT), "counted as fragment-timeout on "
                    + at.apply(h).name());
            for (var p : List.of(h.p1, h.p2, h.p3, h.uplink)) {
                assertTrue(h.sent(p).isEmpty(), "nothing sent on " + p.name());
            }
        };
    }

    private static ByteBuf udpToLan(int payload) {
        return FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40000, 9000, new byte[payload]);
    }

    /** {@code f} with its IPv4 header checksum recomputed after an edit. */
    private static ByteBuf fixed(ByteBuf f) {
        Ipv4.updateChecksum(f, IP);
        return f;
    }

    private static ByteBuf truncate(ByteBuf f, int length) {
        f.writerIndex(length);
        return f;
    }

    private static ByteBuf fragment(ByteBuf f, int flagsOffset) {
        f.setShort(IP + 6, flagsOffset);
        return fixed(f);
    }

    private static List<Case> catalogue() {
        Function<RouterHarness, Port> p1 = h -> h.p1;
        Function<RouterHarness, Port> router = h -> h.gw1Port;
        Function<RouterHarness, Port> uplink = h -> h.uplink;
        List<Case> c = new ArrayList<>();
        // Ethernet
        c.add(new Case("runt: 10 bytes", p1, truncate(udpToLan(4), 10), dropped(p1, DropReason.RUNT)));
        ByteBuf tagged = FrameBuilder.ethernet(GW1, H1, Ethernet.TYPE_VLAN, new byte[1]);
        c.add(new Case("VLAN tag cut short", p1, tagged, dropped(p1, DropReason.TRUNCATED_VLAN)));
        c.add(new Case("source MAC multicast", p1, FrameBuilder.udp(GW1, MacAddr.parse("01:00:5e:00:00:01"), H1_IP,
                LAN_IP, 1, 2, new byte[4]), dropped(p1, DropReason.SRC_MAC_MULTICAST)));
        c.add(new Case("source MAC zero", p1, FrameBuilder.udp(GW1, 0, H1_IP, LAN_IP, 1, 2, new byte[4]),
                dropped(p1, DropReason.SRC_MAC_ZERO)));
        // IPv6 (the harness's bridges have fd00:15::5/64 and fd00:16::5/64: routed between them)
        c.add(new Case("IPv6 EtherType, version 0", p1, FrameBuilder.ethernet(GW1, H1, Ethernet.TYPE_IPV6,
                new byte[40]), dropped(router, DropReason.IPV6_BAD_VERSION)));
        ByteBuf echo6 = v6EchoTo("fd00:16::3");
        c.add(new Case("IPv6 header cut at 39 bytes", p1, truncate(echo6.copy(), IP + 39),
                dropped(router, DropReason.IPV6_TRUNCATED)));
        ByteBuf longer6 = echo6; // the last use of it: the case owns it
        longer6.setShort(IP + Ipv6.PAYLOAD_LENGTH, 2000);
        c.add(new Case("IPv6 payload length past the frame", p1, longer6,
                dropped(router, DropReason.IPV6_BAD_LENGTH)));
        c.add(new Case("IPv6 to a prefix the router has no route to", p1, v6EchoTo("2001:db8::3"),
                dropped(router, DropReason.NO_ROUTE)));
        ByteBuf hop1 = v6EchoTo("fd00:16::3");
        hop1.setByte(IP + Ipv6.HOP_LIMIT, 1);
        c.add(new Case("IPv6 with hop limit 1 to another bridge", p1, hop1, dropped(router, DropReason.TTL_EXCEEDED)));
        c.add(new Case("IPv6 from a link-local source to another bridge", p1,
                dev.vnet.dataplane.testing.Frames6.echoRequest(GW1, H1, dev.vnet.dataplane.wire.Ipv6Address.parse(
                        "fe80::1"), dev.vnet.dataplane.wire.Ipv6Address.parse("fd00:16::3"), 1, 1, new byte[8]),
                dropped(router, DropReason.IPV6_BEYOND_SCOPE)));
        c.add(new Case("TCP over IPv6 cut at 10 bytes, routed", p1, dev.vnet.dataplane.testing.Frames6.ipv6(GW1, H1,
                dev.vnet.dataplane.wire.Ipv6Address.parse("fd00:15::1"),
                dev.vnet.dataplane.wire.Ipv6Address.parse("fd00:16::3"), Ipv6.NH_TCP, 64, new byte[10]),
                dropped(router, DropReason.TCP_TRUNCATED)));
        c.add(new Case("IPv6 to another host's link-local address", p1, v6EchoTo("fe80::3"),
                dropped(router, DropReason.IPV6_LINK_LOCAL_NOT_ROUTED)));
        ByteBuf offLink = dev.vnet.dataplane.testing.Frames6.neighborSolicitation(H1,
                dev.vnet.dataplane.wire.Ipv6Address.parse("fe80::1"), dev.vnet.dataplane.wire.Ipv6Address.linkLocal(GW1));
        offLink.setByte(IP + Ipv6.HOP_LIMIT, 254);
        dev.vnet.dataplane.wire.Icmp6.updateChecksum(offLink, IP, IP + Ipv6.HEADER_LEN,
                Ipv6.payloadLength(offLink, IP));
        c.add(new Case("IPv6 neighbour solicitation routed here (hop limit 254)", p1, offLink,
                silentlyDropped(router, DropReason.NDP_INVALID)));
        // ARP
        c.add(new Case("ARP cut short", p1, FrameBuilder.ethernet(GW1, H1, Ethernet.TYPE_ARP, new byte[20]),
                dropped(router, DropReason.ARP_TRUNCATED)));
        ByteBuf hlen = FrameBuilder.arpRequest(H1, H1_IP, parse("192.168.15.5"));
        hlen.setByte(Ethernet.HEADER_LEN + 4, 8); // hardware address size 8
        c.add(new Case("ARP hardware size 8", p1, hlen, dropped(router, DropReason.ARP_BAD_FORMAT)));
        ByteBuf ptype = FrameBuilder.arpRequest(H1, H1_IP, parse("192.168.15.5"));
        ptype.setShort(Ethernet.HEADER_LEN + 2, Ethernet.TYPE_IPV6);
        c.add(new Case("ARP for IPv6 addresses", p1, ptype, dropped(router, DropReason.ARP_BAD_FORMAT)));
        // IPv4 header
        c.add(new Case("IPv4 header cut at 10 bytes", p1, truncate(udpToLan(4), IP + 10),
                dropped(router, DropReason.IPV4_TRUNCATED)));
        ByteBuf v6 = udpToLan(4);
        v6.setByte(IP, 0x65);
        c.add(new Case("version 6 in an IPv4 frame", p1, fixed(v6), dropped(router, DropReason.IPV4_BAD_VERSION)));
        ByteBuf ihl4 = udpToLan(4);
        ihl4.setByte(IP, 0x44);
        c.add(new Case("IHL 4", p1, ihl4, dropped(router, DropReason.IPV4_BAD_IHL)));
        ByteBuf ihl15 = udpToLan(4);
        ihl15.setByte(IP, 0x4F);
        c.add(new Case("IHL 15 beyond the frame", p1, ihl15, dropped(router, DropReason.IPV4_BAD_IHL)));
        ByteBuf longer = udpToLan(4);
        longer.setShort(IP + Ipv4.TOTAL_LENGTH, 200);
        c.add(new Case("total length beyond the frame", p1, fixed(longer),
                dropped(router, DropReason.IPV4_BAD_LENGTH)));
        ByteBuf belowHeader = udpToLan(4);
        belowHeader.setShort(IP + Ipv4.TOTAL_LENGTH, 12);
        c.add(new Case("total length below the header", p1, fixed(belowHeader),
                dropped(router, DropReason.IPV4_BAD_LENGTH)));
        ByteBuf badSum = udpToLan(4);
        badSum.setShort(IP + 10, badSum.getUnsignedShort(IP + 10) ^ 0x00FF);
        c.add(new Case("bad header checksum", p1, badSum, dropped(router, DropReason.IPV4_BAD_CHECKSUM)));
        // Martian addresses, as the kernel's ip_route_input_slow refuses them: dropped, nothing answered.
        for (String src : new String[] {"127.0.0.1", "224.0.0.9", "255.255.255.255", "0.1.2.3", "192.168.15.5",
                "192.168.1.2"}) {
            c.add(new Case("martian source " + src, p1, FrameBuilder.udp(GW1, H1, parse(src), LAN_IP, 1, 2,
                    new byte[4]), silentlyDropped(router, DropReason.IPV4_MARTIAN_SOURCE)));
        }
        for (String dst : new String[] {"127.0.0.1", "0.0.0.7"}) {
            c.add(new Case("martian destination " + dst, p1, FrameBuilder.udp(GW1, H1, H1_IP, parse(dst), 1, 2,
                    new byte[4]), silentlyDropped(router, DropReason.IPV4_MARTIAN_DESTINATION)));
        }
        c.add(new Case("a host without an address asking by broadcast (DHCP) is not a martian", p1,
                FrameBuilder.udp(MacAddr.BROADCAST, H1, 0, -1, 68, 67, new byte[8]), h -> {
                    assertEquals(0, h.gw1Port.counters().dropsTotal(), "taken by the router, not dropped");
                    assertTrue(h.sent(h.uplink).isEmpty(), "and not forwarded");
                }));
        for (int ttl : new int[] {0, 1}) {
            ByteBuf t = udpToLan(4);
            t.setByte(IP + Ipv4.TTL, ttl);
            c.add(new Case("TTL " + ttl, p1, fixed(t), h -> {
                assertEquals(1, h.gw1Port.counters().drops(DropReason.TTL_EXCEEDED));
                List<ByteBuf> back = h.sent(h.p1);
                assertEquals(1, back.size(), "an ICMP time exceeded goes back");
                assertEquals(Icmp4.TYPE_TIME_EXCEEDED, Icmp4.type(back.get(0), L4));
            }));
        }
        ByteBuf ttl255 = udpToLan(4);
        ttl255.setByte(IP + Ipv4.TTL, 255);
        c.add(new Case("TTL 255 is forwarded with 254", p1, fixed(ttl255), h -> {
            ByteBuf out = only(h.sent(h.uplink));
            assertEquals(254, Ipv4.ttl(out, IP));
            assertTrue(Checksum.verify(out, IP, Ipv4.MIN_HEADER_LEN));
        }));
        c.add(new Case("IP options are forwarded as they are", p1, withOptions(), h -> {
            ByteBuf out = only(h.sent(h.uplink));
            assertEquals(24, Ipv4.headerLength(out, IP), "the options stay");
            assertEquals(UP_IP, Ipv4.src(out, IP), "masqueraded");
            assertTrue(Checksum.verify(out, IP, 24), "header checksum");
        }));
        ByteBuf padded = udpToLan(4);
        ByteBuf withTrailer = FrameBuilder.of(new byte[padded.readableBytes() + 18]);
        withTrailer.setBytes(0, padded, 0, padded.readableBytes());
        withTrailer.setBytes(padded.readableBytes(), new byte[] {'j', 'u', 'n', 'k'});
        padded.release();
        c.add(new Case("bytes after the IP packet (padding) are not forwarded", p1, withTrailer, h -> {
            ByteBuf out = only(h.sent(h.uplink));
            assertEquals(IP + Ipv4.totalLength(out, IP), out.readableBytes(), "trimmed to the IP length");
        }));
        // Transport headers
        ByteBuf tcpShort = FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 40000, 80, 0x02, new byte[0]);
        tcpShort.setShort(IP + Ipv4.TOTAL_LENGTH, Ipv4.MIN_HEADER_LEN + 10);
        c.add(new Case("TCP header cut at 10 bytes", p1, fixed(truncate(tcpShort, L4 + 10)),
                dropped(router, DropReason.TCP_TRUNCATED)));
        ByteBuf offset3 = FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 40000, 80, 0x02, new byte[0]);
        offset3.setByte(L4 + Tcp.DATA_OFFSET, 3 << 4);
        c.add(new Case("TCP data offset 3", p1, offset3, dropped(router, DropReason.TCP_BAD_OFFSET)));
        ByteBuf udpShort = udpToLan(0);
        udpShort.setShort(IP + Ipv4.TOTAL_LENGTH, Ipv4.MIN_HEADER_LEN + 4);
        c.add(new Case("UDP header cut at 4 bytes", p1, fixed(truncate(udpShort, L4 + 4)),
                dropped(router, DropReason.UDP_TRUNCATED)));
        ByteBuf udpLong = udpToLan(4);
        udpLong.setShort(L4 + Udp.LENGTH, 400);
        c.add(new Case("UDP length beyond the packet", p1, udpLong, dropped(router, DropReason.UDP_BAD_LENGTH)));
        ByteBuf icmpShort = FrameBuilder.icmpEcho(GW1, H1, H1_IP, LAN_IP, 1, 1, new byte[0]);
        icmpShort.setShort(IP + Ipv4.TOTAL_LENGTH, Ipv4.MIN_HEADER_LEN + 4);
        c.add(new Case("ICMP cut at 4 bytes", p1, fixed(truncate(icmpShort, L4 + 4)),
                dropped(router, DropReason.ICMP_TRUNCATED)));
        c.add(new Case("ICMP error quoting garbage, to the router", uplink, icmpErrorQuotingGarbage(UP_IP), h -> {
            assertTrue(h.sent(h.p1).isEmpty() && h.sent(h.p2).isEmpty() && h.sent(h.p3).isEmpty(), "stays there");
            assertEquals(0, h.uplink.counters().dropsTotal(), "taken by the router, matching no connection");
        }));
        c.add(new Case("ICMP error quoting garbage, routed inside", uplink, icmpErrorQuotingGarbage(H1_IP), h -> {
            ByteBuf out = only(h.sent(h.p1));
            assertEquals(H1_IP, Ipv4.dst(out, IP), "forwarded untranslated: it matches no connection");
        }));
        // Fragments: vnet routes them without reassembly; through NAT a later fragment follows the connection its
        // datagram's first fragment found (NatStageTest), and one that comes before its first waits for it (also
        // NatStageTest). One whose first never comes cannot be translated: it is dropped when its wait ends, never
        // sent out untranslated.
        c.add(new Case("first fragment through MASQUERADE", p1, fragment(udpToLan(64), 0x2000), h -> {
            ByteBuf out = only(h.sent(h.uplink));
            assertEquals(UP_IP, Ipv4.src(out, IP), "translated like any first packet");
        }));
        c.add(new Case("middle fragment, its first never seen, through MASQUERADE", p1, fragment(udpToLan(64), 0x2000 | 23),
                heldThenTimedOut(router)));
        c.add(new Case("last fragment, its first never seen, through MASQUERADE", p1, fragment(udpToLan(64), 46),
                heldThenTimedOut(router)));
        c.add(new Case("overlapping fragment (offset 1), no first, through MASQUERADE", p1, fragment(udpToLan(64), 0x2000 | 1),
                heldThenTimedOut(router)));
        ByteBuf toForward = FrameBuilder.tcp(GW_UPLINK, LAN, LAN_IP, UP_IP, 40000, 80, 0x18, new byte[64]);
        c.add(new Case("later fragment to a port forward's address, its first never seen", uplink,
                fragment(toForward, 0x2000 | 23), h -> {
                    heldThenTimedOut(uplink).accept(h);
                    assertTrue(h.sent(h.p2).isEmpty(), "nothing reached the forward's target");
                }));
        ByteBuf tiny = FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 40000, 80, 0x02, new byte[0]);
        tiny.setShort(IP + Ipv4.TOTAL_LENGTH, Ipv4.MIN_HEADER_LEN + 8);
        c.add(new Case("tiny first fragment (8 bytes of TCP, RFC 1858)", p1,
                fragment(truncate(tiny, L4 + 8), 0x2000), dropped(router, DropReason.TCP_TRUNCATED)));
        ByteBuf inward = FrameBuilder.udp(GW_UPLINK, LAN, LAN_IP, H1_IP, 1, 2, new byte[64]);
        c.add(new Case("middle fragment routed without NAT goes on", uplink, fragment(inward, 0x2000 | 23), h -> {
            ByteBuf out = only(h.sent(h.p1));
            assertEquals(0x2000 | 23, Ipv4.flagsFragment(out, IP), "as it was");
        }));
        // Sizes
        ByteBuf tooBig = udpToLan(1200); // the uplink's MTU is 1000; FrameBuilder sets DF
        c.add(new Case("over the uplink MTU with DF", p1, tooBig, h -> {
            assertEquals(1, h.gw1Port.counters().drops(DropReason.FRAGMENTATION_NEEDED));
            ByteBuf back = only(h.sent(h.p1));
            assertEquals(Icmp4.TYPE_DEST_UNREACHABLE, Icmp4.type(back, L4));
            assertEquals(4, Icmp4.code(back, L4));
        }));
        ByteBuf noDf = udpToLan(1200);
        noDf.setShort(IP + 6, 0);
        c.add(new Case("over the uplink MTU without DF is fragmented", p1, fixed(noDf), h -> {
            List<ByteBuf> out = h.sent(h.uplink);
            assertEquals(2, out.size());
            out.forEach(f -> assertTrue(f.readableBytes() - IP <= RouterHarness.UPLINK_MTU));
        }));
        // A bridged frame to an unknown MAC with a bad IP header is the bridge's business, not the router's.
        ByteBuf bridged = FrameBuilder.udp(H2, H1, H1_IP, parse("192.168.15.2"), 1, 2, new byte[4]);
        bridged.setByte(IP, 0x44);
        c.add(new Case("broken IPv4 between two hosts of one bridge is switched", p1, bridged,
                h -> assertEquals(1, h.sent(h.p2).size(), "a switch does not look into IP")));
        return c;
    }

    private static ByteBuf only(List<ByteBuf> frames) {
        assertEquals(1, frames.size(), "one frame out");
        return frames.get(0);
    }

    private static ByteBuf withOptions() {
        ByteBuf plain = udpToLan(4);
        int ipLength = Ipv4.totalLength(plain, IP);
        ByteBuf f = FrameBuilder.of(new byte[IP + ipLength + 4]);
        f.setBytes(0, plain, 0, IP + Ipv4.MIN_HEADER_LEN);
        f.setInt(IP + Ipv4.MIN_HEADER_LEN, 0x01010100); // NOP, NOP, NOP, end of options
        f.setBytes(L4 + 4, plain, L4, ipLength - Ipv4.MIN_HEADER_LEN);
        f.setByte(IP, 0x46);
        f.setShort(IP + Ipv4.TOTAL_LENGTH, ipLength + 4);
        plain.release();
        return fixed(f);
    }

    private static ByteBuf icmpErrorQuotingGarbage(int dst) {
        byte[] quote = new byte[28];
        for (int i = 0; i < quote.length; i++) {
            quote[i] = (byte) (i * 37 + 11);
        }
        ByteBuf f = FrameBuilder.icmpEcho(GW_UPLINK, LAN, LAN_IP, dst, 0, 0, quote);
        f.setByte(L4 + Icmp4.TYPE, Icmp4.TYPE_DEST_UNREACHABLE);
        f.setByte(L4 + Icmp4.CODE, 3);
        f.setInt(L4 + 4, 0);
        Icmp4.updateChecksum(f, L4, f.readableBytes() - L4);
        return f;
    }

    @TestFactory
    List<DynamicTest> eachMalformedFrameIsDroppedWithItsReasonOrHandledAsTheKernelDoes() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : catalogue()) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                try (RouterHarness h = new RouterHarness().withSeedNat()) {
                    h.router.addAddress6(h.router.interfaces().get(0),
                            dev.vnet.dataplane.wire.Ipv6Cidr.parse("fd00:15::5/64"));
                    h.router.addAddress6(h.router.interfaces().get(1),
                            dev.vnet.dataplane.wire.Ipv6Cidr.parse("fd00:16::5/64"));
                    // No advertisements: the cases that wait on the timer count every frame the router sends.
                    h.router.setRouterAdvertisements(h.router.interfaces().get(0), false);
                    h.router.setRouterAdvertisements(h.router.interfaces().get(1), false);
                    for (var p : List.of(h.p1, h.p2, h.p3, h.uplink)) {
                        h.sent(p); // the ARP answers withSeedNat caused
                    }
                    long before = h.pipeline.received();
                    ((dev.vnet.dataplane.port.MemoryPort) c.in().apply(h)).inject(c.frame());
                    assertTrue(h.pipeline.received() > before, "the frame went in");
                    c.then().accept(h);
                    h.assertCountersAddUp();
                }
            }));
        }
        return tests;
    }
}
