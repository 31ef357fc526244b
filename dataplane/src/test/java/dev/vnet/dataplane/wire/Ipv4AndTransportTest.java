package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.testing.FrameBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4AndTransportTest {
    private static final int IP = Ethernet.HEADER_LEN;
    private static final int L4 = IP + Ipv4.MIN_HEADER_LEN;

    @Test
    void parsesUdpVector() {
        ByteBuf f = FrameBuilder.hex(WireVectors.UDP);
        try {
            assertNull(Ipv4.check(f, IP, f.readableBytes() - IP));
            assertEquals(20, Ipv4.headerLength(f, IP));
            assertEquals(33, Ipv4.totalLength(f, IP));
            assertEquals(64, Ipv4.ttl(f, IP));
            assertEquals(Ipv4.PROTO_UDP, Ipv4.protocol(f, IP));
            assertTrue(Ipv4.dontFragment(f, IP));
            assertFalse(Ipv4.isFragment(f, IP));
            assertEquals(Ipv4Addr.parse("192.168.15.1"), Ipv4.src(f, IP));
            assertEquals(Ipv4Addr.parse("192.168.15.2"), Ipv4.dst(f, IP));
            assertNull(Udp.check(f, L4, 13));
            assertEquals(5000, Udp.srcPort(f, L4));
            assertEquals(8080, Udp.dstPort(f, L4));
            assertEquals(13, Udp.length(f, L4));
        } finally {
            f.release();
        }
    }

    @Test
    void constructsTheKnownVectors() {
        long a = MacAddr.parse("02:00:00:00:00:01");
        long b = MacAddr.parse("02:00:00:00:00:02");
        int ra = Ipv4Addr.parse("192.168.15.1");
        int rb = Ipv4Addr.parse("192.168.15.2");
        assertBuilt(WireVectors.UDP, FrameBuilder.udp(b, a, ra, rb, 5000, 8080, "hello".getBytes()));
        assertBuilt(WireVectors.TCP_SYN, FrameBuilder.tcp(b, a, ra, rb, 40000, 80, Tcp.SYN, new byte[0]));
        assertBuilt(WireVectors.ICMP_ECHO, FrameBuilder.icmpEcho(b, a, ra, rb, 0x0abc, 1, "abcdefgh".getBytes()));
    }

    private static void assertBuilt(String expectedHex, ByteBuf built) {
        try {
            assertEquals(expectedHex, ByteBufUtil.hexDump(built));
        } finally {
            built.release();
        }
    }

    @Test
    void parsesTcpAndIcmpVectors() {
        ByteBuf tcp = FrameBuilder.hex(WireVectors.TCP_SYN);
        ByteBuf icmp = FrameBuilder.hex(WireVectors.ICMP_ECHO);
        try {
            assertNull(Ipv4.check(tcp, IP, tcp.readableBytes() - IP));
            assertNull(Tcp.check(tcp, L4, 20));
            assertEquals(40000, Tcp.srcPort(tcp, L4));
            assertEquals(80, Tcp.dstPort(tcp, L4));
            assertEquals(Tcp.SYN, Tcp.flags(tcp, L4));
            assertEquals(20, Tcp.headerLength(tcp, L4));
            assertNull(Ipv4.check(icmp, IP, icmp.readableBytes() - IP));
            assertNull(Icmp4.check(icmp, L4, 16));
            assertEquals(Icmp4.TYPE_ECHO_REQUEST, Icmp4.type(icmp, L4));
            assertEquals(0x0abc, Icmp4.echoId(icmp, L4));
            assertEquals(1, Icmp4.echoSeq(icmp, L4));
        } finally {
            tcp.release();
            icmp.release();
        }
    }

    @Test
    void malformedIpv4HeadersAreNamed() {
        ByteBuf f = FrameBuilder.hex(WireVectors.UDP);
        try {
            int avail = f.readableBytes() - IP;
            assertEquals(DropReason.IPV4_TRUNCATED, Ipv4.check(f, IP, 19));
            f.setByte(IP, 0x65);
            assertEquals(DropReason.IPV4_BAD_VERSION, Ipv4.check(f, IP, avail));
            f.setByte(IP, 0x44);
            assertEquals(DropReason.IPV4_BAD_IHL, Ipv4.check(f, IP, avail));
            f.setByte(IP, 0x4F); // 60-byte header in a 33-byte packet
            assertEquals(DropReason.IPV4_BAD_IHL, Ipv4.check(f, IP, avail));
            f.setByte(IP, 0x45);
            assertEquals(DropReason.IPV4_BAD_LENGTH, Ipv4.check(f, IP, avail - 1), "total length beyond the frame");
            f.setShort(IP + Ipv4.TOTAL_LENGTH, 19);
            assertEquals(DropReason.IPV4_BAD_LENGTH, Ipv4.check(f, IP, avail), "total length below the header");
            f.setShort(IP + Ipv4.TOTAL_LENGTH, 33);
            assertNull(Ipv4.check(f, IP, avail));
            f.setByte(IP + Ipv4.TTL, 63);
            assertEquals(DropReason.IPV4_BAD_CHECKSUM, Ipv4.check(f, IP, avail));
        } finally {
            f.release();
        }
    }

    @Test
    void malformedTransportHeadersAreNamed() {
        ByteBuf udp = FrameBuilder.hex(WireVectors.UDP);
        ByteBuf tcp = FrameBuilder.hex(WireVectors.TCP_SYN);
        ByteBuf icmp = FrameBuilder.hex(WireVectors.ICMP_ECHO);
        try {
            assertEquals(DropReason.UDP_TRUNCATED, Udp.check(udp, L4, 7));
            assertEquals(DropReason.UDP_BAD_LENGTH, Udp.check(udp, L4, 12), "length field beyond the payload");
            udp.setShort(L4 + Udp.LENGTH, 7);
            assertEquals(DropReason.UDP_BAD_LENGTH, Udp.check(udp, L4, 13), "length field below the header");
            assertEquals(DropReason.TCP_TRUNCATED, Tcp.check(tcp, L4, 19));
            tcp.setByte(L4 + Tcp.DATA_OFFSET, 4 << 4);
            assertEquals(DropReason.TCP_BAD_OFFSET, Tcp.check(tcp, L4, 20));
            tcp.setByte(L4 + Tcp.DATA_OFFSET, 6 << 4);
            assertEquals(DropReason.TCP_BAD_OFFSET, Tcp.check(tcp, L4, 20), "options beyond the segment");
            assertEquals(DropReason.ICMP_TRUNCATED, Icmp4.check(icmp, L4, 7));
            icmp.setByte(L4 + Icmp4.CODE, 1);
            assertEquals(DropReason.ICMP_BAD_CHECKSUM, Icmp4.check(icmp, L4, 16));
        } finally {
            udp.release();
            tcp.release();
            icmp.release();
        }
    }

    @Test
    void ttlDecrementKeepsTheHeaderChecksum() {
        ByteBuf f = FrameBuilder.hex(WireVectors.ICMP_ECHO);
        try {
            int protocol = Ipv4.protocol(f, IP);
            for (int expected = 63; expected >= 1; expected--) {
                assertEquals(expected, Ipv4.decrementTtl(f, IP));
                assertEquals(expected, Ipv4.ttl(f, IP));
                assertEquals(protocol, Ipv4.protocol(f, IP), "the protocol beside the TTL is kept");
                assertNull(Ipv4.check(f, IP, f.readableBytes() - IP), "after TTL " + expected);
            }
        } finally {
            f.release();
        }
    }

    @Test
    void natRewritesMatchIndependentlyComputedVectors() {
        ByteBuf udp = FrameBuilder.hex(WireVectors.UDP);
        ByteBuf tcp = FrameBuilder.hex(WireVectors.TCP_SYN);
        try {
            NatRewrite.setSrcAddress(udp, IP, Ipv4Addr.parse("192.168.1.2"));
            NatRewrite.setSrcPort(udp, IP, 61000);
            assertEquals(WireVectors.UDP_SNAT, ByteBufUtil.hexDump(udp));
            NatRewrite.setDstAddress(tcp, IP, Ipv4Addr.parse("10.0.0.9"));
            NatRewrite.setDstPort(tcp, IP, 8080);
            assertEquals(WireVectors.TCP_DNAT, ByteBufUtil.hexDump(tcp));
        } finally {
            udp.release();
            tcp.release();
        }
    }

    @Test
    void aWholeTupleRewriteIsTheFourFieldRewritesInOne() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
        for (int n = 0; n < 3_000; n++) {
            boolean udp = rng.nextBoolean();
            int src = rng.nextInt();
            int dst = rng.nextInt();
            int srcPort = rng.nextInt(0x10000);
            int dstPort = rng.nextInt(0x10000);
            byte[] payload = new byte[rng.nextInt(40)];
            rng.nextBytes(payload);
            ByteBuf a = udp ? FrameBuilder.udp(2, 4, src, dst, srcPort, dstPort, payload)
                    : FrameBuilder.tcp(2, 4, src, dst, srcPort, dstPort, Tcp.ACK_FLAG, payload);
            ByteBuf b = a.copy();
            try {
                boolean partial = rng.nextInt(4) == 0;
                int checksumAt = L4 + (udp ? Udp.CHECKSUM : Tcp.CHECKSUM);
                if (udp && rng.nextInt(4) == 0) { // sent without a checksum
                    a.setShort(checksumAt, 0);
                    b.setShort(checksumAt, 0);
                } else if (rng.nextInt(8) == 0) { // checksum values at the edges of one's complement
                    int edge = rng.nextBoolean() ? 0xFFFF : rng.nextInt(2);
                    a.setShort(checksumAt, edge);
                    b.setShort(checksumAt, edge);
                }
                // Each field changes or not, so a rewrite may touch the addresses, the ports, or both.
                int nSrc = rng.nextBoolean() ? src : rng.nextInt();
                int nDst = rng.nextBoolean() ? dst : rng.nextInt();
                int nSrcPort = rng.nextBoolean() ? srcPort : rng.nextInt(0x10000);
                int nDstPort = rng.nextBoolean() ? dstPort : rng.nextInt(0x10000);
                NatRewrite.setSrcAddress(a, IP, nSrc, partial);
                NatRewrite.setDstAddress(a, IP, nDst, partial);
                NatRewrite.setSrcPort(a, IP, nSrcPort, partial);
                NatRewrite.setDstPort(a, IP, nDstPort, partial);
                NatRewrite.setTuple(b, IP, L4, udp, nSrc, nDst, nSrcPort, nDstPort, partial);
                assertEquals(ByteBufUtil.hexDump(a), ByteBufUtil.hexDump(b), "case " + n);
            } finally {
                a.release();
                b.release();
            }
        }
    }

    @Test
    void natKeepsAnAbsentUdpChecksumAbsent() {
        ByteBuf udp = FrameBuilder.hex(WireVectors.UDP);
        try {
            udp.setShort(L4 + Udp.CHECKSUM, 0);
            NatRewrite.setSrcAddress(udp, IP, Ipv4Addr.parse("198.51.100.7"));
            NatRewrite.setSrcPort(udp, IP, 1);
            assertEquals(0, udp.getUnsignedShort(L4 + Udp.CHECKSUM));
            assertNull(Ipv4.check(udp, IP, udp.readableBytes() - IP));
        } finally {
            udp.release();
        }
    }

    @Test
    void natRewritesIcmpEchoIdentifierAndLeavesTheIcmpChecksumValid() {
        ByteBuf icmp = FrameBuilder.hex(WireVectors.ICMP_ECHO);
        try {
            NatRewrite.setSrcAddress(icmp, IP, Ipv4Addr.parse("203.0.113.1"));
            NatRewrite.setSrcPort(icmp, IP, 0x7777);
            assertEquals(0x7777, Icmp4.echoId(icmp, L4));
            assertNull(Ipv4.check(icmp, IP, icmp.readableBytes() - IP));
            assertNull(Icmp4.check(icmp, L4, 16));
        } finally {
            icmp.release();
        }
    }

    @Test
    void natLeavesTheTransportOfNonFirstFragmentsAlone() {
        ByteBuf f = FrameBuilder.hex(WireVectors.UDP);
        try {
            f.setShort(IP + Ipv4.FLAGS_FRAGMENT, 0x0001); // offset 8 bytes: no UDP header here
            Ipv4.updateChecksum(f, IP);
            int before = f.getUnsignedShort(L4 + Udp.CHECKSUM);
            NatRewrite.setSrcAddress(f, IP, Ipv4Addr.parse("192.0.2.1"));
            NatRewrite.setSrcPort(f, IP, 1234);
            assertEquals(before, f.getUnsignedShort(L4 + Udp.CHECKSUM));
            assertEquals(5000, Udp.srcPort(f, L4));
            assertNull(Ipv4.check(f, IP, f.readableBytes() - IP));
        } finally {
            f.release();
        }
    }
}
