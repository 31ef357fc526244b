package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The IPv6, ICMPv6 and neighbour discovery views against what the Linux kernel sends (ipv6/kernel.pcap, made by
 * {@code capture.sh} beside it: MLDv2 reports behind a hop-by-hop header, duplicate address detection, router
 * solicitations, a neighbour solicitation and advertisement, a ping), and against malformed packets built from them:
 * every refusal RFC 8200, RFC 5095, RFC 4443 and RFC 4861 ask of a receiver.
 */
class Ipv6Test {
    private static final int IP = Ethernet.HEADER_LEN;
    private static final long A = MacAddr.parse("02:00:00:00:0a:01");
    private static final long B = MacAddr.parse("02:00:00:00:0b:01");

    private static List<byte[]> kernel() throws Exception {
        java.net.URL url = Ipv6Test.class.getResource("ipv6/kernel.pcap");
        assertTrue(url != null, "test resource ipv6/kernel.pcap");
        List<byte[]> frames = new ArrayList<>();
        try (PcapHandle h = Pcaps.openOffline(Path.of(url.toURI()).toString())) {
            for (byte[] f = h.getNextRawPacket(); f != null; f = h.getNextRawPacket()) {
                frames.add(f);
            }
        }
        return frames;
    }

    /** The kernel's first frame of ICMPv6 type {@code type}, as a buffer of its own. */
    private static ByteBuf first(int type) throws Exception {
        for (byte[] f : kernel()) {
            ByteBuf buf = Unpooled.copiedBuffer(f);
            long walk = Ipv6.walk(buf, IP);
            if (Icmp6.type(buf, IP + Ipv6.upperOffset(walk)) == type) {
                return buf;
            }
        }
        throw new AssertionError("no ICMPv6 type " + type + " in kernel.pcap");
    }

    private static int icmp(ByteBuf buf) {
        return IP + Ipv6.upperOffset(Ipv6.walk(buf, IP));
    }

    private static int icmpLength(ByteBuf buf) {
        return Ipv6.HEADER_LEN + Ipv6.payloadLength(buf, IP) - Ipv6.upperOffset(Ipv6.walk(buf, IP));
    }

    @Test
    void everyPacketTheKernelSentPassesEveryCheck() throws Exception {
        List<byte[]> frames = kernel();
        assertTrue(frames.size() >= 10, "the capture holds the kernel's conversation: " + frames.size());
        int hopByHop = 0;
        for (byte[] f : frames) {
            ByteBuf buf = Unpooled.wrappedBuffer(f);
            assertEquals(Ethernet.TYPE_IPV6, Ethernet.type(buf, 0));
            assertNull(Ipv6.check(buf, IP, f.length - IP));
            long walk = Ipv6.walk(buf, IP);
            assertFalse(Ipv6.refused(walk), () -> "refused: " + Ipv6.reason(walk));
            assertEquals(Ipv6.NH_ICMPV6, Ipv6.upperProtocol(walk));
            if (Ipv6.nextHeader(buf, IP) == Ipv6.NH_HOP_BY_HOP) {
                hopByHop++;
                assertEquals(Ipv6.HEADER_LEN + 8, Ipv6.upperOffset(walk), "MLD behind an 8-byte hop-by-hop header");
            }
            int icmp = IP + Ipv6.upperOffset(walk);
            assertNull(Icmp6.check(buf, IP, icmp, icmpLength(buf)), "ICMPv6 checksum");
            if (Ndp.isNdp(Icmp6.type(buf, icmp))) {
                assertNull(Ndp.check(buf, IP, icmp, icmpLength(buf)), "RFC 4861's checks, type "
                        + Icmp6.type(buf, icmp));
            }
        }
        assertTrue(hopByHop > 0, "the MLD reports carry a hop-by-hop header");
    }

    @Test
    void neighbourDiscoveryFieldsReadAsTheKernelWroteThem() throws Exception {
        ByteBuf na = first(Icmp6.TYPE_NEIGHBOR_ADVERTISEMENT);
        int icmp = icmp(na);
        assertEquals(0x2001_0db8_0000_0000L, Ndp.targetHi(na, icmp));
        assertEquals(2, Ndp.targetLo(na, icmp));
        assertEquals(Ndp.NA_SOLICITED | Ndp.NA_OVERRIDE, na.getUnsignedByte(icmp + Ndp.NA_FLAGS) & 0xE0);
        assertEquals(B, Ndp.linkLayerAddress(na, icmp, icmpLength(na), Ndp.OPT_TARGET_LINK_ADDRESS));
        assertEquals(-1, Ndp.linkLayerAddress(na, icmp, icmpLength(na), Ndp.OPT_SOURCE_LINK_ADDRESS));
        assertEquals(255, Ipv6.hopLimit(na, IP));

        ByteBuf rs = first(Icmp6.TYPE_ROUTER_SOLICITATION);
        assertEquals(Ipv6.NH_ICMPV6, Ipv6.nextHeader(rs, IP));
        long sender = Ndp.linkLayerAddress(rs, icmp(rs), icmpLength(rs), Ndp.OPT_SOURCE_LINK_ADDRESS);
        assertTrue(sender == A || sender == B, "a router solicitation names its sender: " + MacAddr.toString(sender));
        assertTrue(Ipv6.isLinkLocal(Ipv6.srcHi(rs, IP)), "from the link-local address");

        int dad = 0;
        for (byte[] f : kernel()) {
            ByteBuf buf = Unpooled.wrappedBuffer(f);
            if (Ipv6.nextHeader(buf, IP) == Ipv6.NH_ICMPV6
                    && Icmp6.type(buf, icmp(buf)) == Icmp6.TYPE_NEIGHBOR_SOLICITATION) {
                long dst = Ipv6.dstLo(buf, IP);
                assertTrue(Ndp.isSolicitedNode(Ipv6.dstHi(buf, IP), dst), "to a solicited-node group");
                assertEquals(Ndp.solicitedNodeLo(Ndp.targetLo(buf, icmp(buf))), dst, "the target's own group");
                if (Ipv6.srcHi(buf, IP) == 0 && Ipv6.srcLo(buf, IP) == 0) {
                    dad++;
                }
            }
        }
        assertTrue(dad > 0, "duplicate address detection sends from ::");
    }

    @Test
    void aHeaderThatIsNotIpv6OrLongerThanTheFrameIsRefused() throws Exception {
        ByteBuf echo = first(Icmp6.TYPE_ECHO_REQUEST);
        int available = echo.readableBytes() - IP;
        assertEquals(DropReason.IPV6_TRUNCATED, Ipv6.check(echo, IP, 39));
        echo.setByte(IP, 0x45);
        assertEquals(DropReason.IPV6_BAD_VERSION, Ipv6.check(echo, IP, available));
        echo.setByte(IP, 0x60);
        echo.setShort(IP + Ipv6.PAYLOAD_LENGTH, available - Ipv6.HEADER_LEN + 1);
        assertEquals(DropReason.IPV6_BAD_LENGTH, Ipv6.check(echo, IP, available));
    }

    /** An IPv6 packet whose payload is {@code chain} (extension headers, hex) then 8 bytes of UDP header. */
    private static ByteBuf packet(int first, String chain) {
        byte[] ext = HexFormat.of().parseHex(chain);
        ByteBuf buf = Unpooled.buffer();
        buf.writeZero(IP);
        buf.writeInt(0x6000_0000);
        buf.writeShort(ext.length + 8);
        buf.writeByte(first);
        buf.writeByte(64);
        buf.writeLong(0x2001_0db8_0000_0000L).writeLong(1).writeLong(0x2001_0db8_0000_0000L).writeLong(2);
        buf.writeBytes(ext);
        buf.writeZero(8);
        assertNull(Ipv6.check(buf, IP, buf.readableBytes() - IP));
        return buf;
    }

    @Test
    void theExtensionChainIsWalkedToTheUpperLayerAndEveryRefusalNamed() {
        // hop-by-hop (8 bytes), destination options (16 bytes), then UDP
        long walk = Ipv6.walk(packet(Ipv6.NH_HOP_BY_HOP, "3c00010400000000" + "1101010c00000000" + "0000000000000000"),
                IP);
        assertEquals(Ipv6.NH_UDP, Ipv6.upperProtocol(walk));
        assertEquals(Ipv6.HEADER_LEN + 24, Ipv6.upperOffset(walk));
        assertFalse(Ipv6.isFragment(walk));
        // a fragment header, then UDP
        walk = Ipv6.walk(packet(Ipv6.NH_FRAGMENT, "1100000112345678"), IP);
        assertEquals(Ipv6.NH_UDP, Ipv6.upperProtocol(walk));
        assertTrue(Ipv6.isFragment(walk));
        assertTrue(Ipv6.moreFragments(packet(Ipv6.NH_FRAGMENT, "1100000112345678"), IP + Ipv6.HEADER_LEN));
        // an authentication header counts 4-byte units: length 4 is (4 + 2) * 4 = 24 bytes
        walk = Ipv6.walk(packet(Ipv6.NH_AUTH, "1104000000000000" + "0000000000000000" + "0000000000000000"), IP);
        assertEquals(Ipv6.HEADER_LEN + 24, Ipv6.upperOffset(walk));
        // a routing header of type 0 with no segments left is skipped (RFC 5095 section 3)
        walk = Ipv6.walk(packet(Ipv6.NH_ROUTING, "1100000000000000"), IP);
        assertEquals(Ipv6.NH_UDP, Ipv6.upperProtocol(walk));
        // no next header
        walk = Ipv6.walk(packet(Ipv6.NH_NONE, ""), IP);
        assertEquals(Ipv6.NH_NONE, Ipv6.upperProtocol(walk));

        refused(DropReason.IPV6_ROUTING_TYPE_0, Ipv6.HEADER_LEN + 2,
                packet(Ipv6.NH_ROUTING, "1102000100000000" + "20010db8000000000000000000000009"));
        refused(DropReason.IPV6_BAD_EXTENSION, Ipv6.HEADER_LEN + 2,
                packet(Ipv6.NH_ROUTING, "1100fd0100000000"));
        refused(DropReason.IPV6_BAD_EXTENSION, Ipv6.HEADER_LEN,
                packet(Ipv6.NH_DEST_OPTS, "0000010400000000" + "1100010400000000"));
        // 24 bytes said, 16 there (8 of them the UDP header)
        refused(DropReason.IPV6_TRUNCATED, Ipv6.HEADER_LEN, packet(Ipv6.NH_DEST_OPTS, "1102010400000000"));
        StringBuilder nine = new StringBuilder();
        for (int i = 0; i < 9; i++) {
            nine.append(i < 8 ? "3c00010400000000" : "1100010400000000");
        }
        refused(DropReason.IPV6_EXTENSION_CHAIN_TOO_LONG, Ipv6.HEADER_LEN + 8 * 8,
                packet(Ipv6.NH_DEST_OPTS, nine.toString()));
    }

    private static void refused(DropReason reason, int pointer, ByteBuf packet) {
        long walk = Ipv6.walk(packet, IP);
        assertTrue(Ipv6.refused(walk), "refused as " + reason);
        assertEquals(reason, Ipv6.reason(walk));
        assertEquals(pointer, Ipv6.problemPointer(walk), "the parameter problem's pointer");
    }

    @Test
    void anIcmpv6ChecksumThatDoesNotVerifyIsRefused() throws Exception {
        ByteBuf echo = first(Icmp6.TYPE_ECHO_REQUEST);
        int icmp = icmp(echo);
        int length = icmpLength(echo);
        echo.setByte(icmp + 20, echo.getByte(icmp + 20) ^ 1);
        assertEquals(DropReason.ICMPV6_BAD_CHECKSUM, Icmp6.check(echo, IP, icmp, length));
        Icmp6.updateChecksum(echo, IP, icmp, length);
        assertNull(Icmp6.check(echo, IP, icmp, length), "a recomputed checksum verifies");
        assertEquals(DropReason.ICMPV6_TRUNCATED, Icmp6.check(echo, IP, icmp, 3));
    }

    /** Changes {@code frame} with {@code change}, fixes the ICMPv6 checksum, and says what {@link Ndp#check} says. */
    private static DropReason ndpAfter(ByteBuf frame, java.util.function.Consumer<ByteBuf> change) {
        ByteBuf copy = frame.copy();
        change.accept(copy);
        int icmp = icmp(copy);
        Icmp6.updateChecksum(copy, IP, icmp, icmpLength(copy));
        assertNull(Icmp6.check(copy, IP, icmp, icmpLength(copy)));
        return Ndp.check(copy, IP, icmp, icmpLength(copy));
    }

    @Test
    void neighbourDiscoveryFromOffTheLinkOrMalformedIsRefused() throws Exception {
        ByteBuf ns = first(Icmp6.TYPE_NEIGHBOR_SOLICITATION); // duplicate address detection: from ::
        ByteBuf na = first(Icmp6.TYPE_NEIGHBOR_ADVERTISEMENT);
        ByteBuf rs = first(Icmp6.TYPE_ROUTER_SOLICITATION);
        int icmp = icmp(na);
        DropReason invalid = DropReason.NDP_INVALID;
        assertNull(ndpAfter(na, b -> { }), "the kernel's advertisement as it was");
        assertEquals(invalid, ndpAfter(na, b -> b.setByte(IP + Ipv6.HOP_LIMIT, 64)), "hop limit 64: routed here");
        assertEquals(invalid, ndpAfter(na, b -> b.setByte(icmp + Icmp6.CODE, 1)), "code 1");
        assertEquals(invalid, ndpAfter(na, b -> b.setByte(icmp + Ndp.TARGET, 0xFF)), "a multicast target");
        assertEquals(invalid, ndpAfter(na, b -> b.setByte(icmp + 24 + 1, 0)), "an option of length 0");
        assertEquals(invalid, ndpAfter(na, b -> b.setByte(icmp + 24 + 1, 2)), "an option past the end");
        assertEquals(invalid, ndpAfter(na, b -> {
            b.setLong(IP + Ipv6.DST, 0xFF02_0000_0000_0000L);
            b.setLong(IP + Ipv6.DST + 8, 1);
        }), "a solicited advertisement to all nodes");
        assertEquals(invalid, ndpAfter(ns, b -> b.setLong(IP + Ipv6.DST + 8, 1)),
                "a solicitation from :: not to a solicited-node group");
        assertEquals(invalid, ndpAfter(rs, b -> {
            b.setLong(IP + Ipv6.SRC, 0);
            b.setLong(IP + Ipv6.SRC + 8, 0);
        }), "from :: with a source link-layer address");
        assertEquals(invalid, ndpAfter(na, b -> b.setShort(IP + Ipv6.PAYLOAD_LENGTH, 20)),
                "shorter than an advertisement");
    }
}
