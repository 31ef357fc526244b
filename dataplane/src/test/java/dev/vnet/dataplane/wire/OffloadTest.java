package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The virtio-net header and what a NIC does in its place: the header's bytes, completing partial checksums, cutting
 * TCP super-frames, and NAT on a partial checksum giving the same bytes as NAT on a complete one.
 */
class OffloadTest {
    private static final long A = MacAddr.parse("02:00:00:00:00:0a");
    private static final long B = MacAddr.parse("02:00:00:00:00:0b");
    private static final int IP_A = Ipv4Addr.parse("192.168.15.1");
    private static final int IP_B = Ipv4Addr.parse("192.168.1.3");
    private static final int ETH = Ethernet.HEADER_LEN;
    private static final int L4 = ETH + Ipv4.MIN_HEADER_LEN;

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    private static byte[] payload(int n) {
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte) (i * 7 + 3);
        }
        return p;
    }

    /** Puts {@code f}'s transport checksum in partial form: the folded pseudo-header sum, as a sending kernel does. */
    private static long makePartial(ByteBuf f, int checksumOffset) {
        int l4Length = Ipv4.totalLength(f, ETH) - Ipv4.MIN_HEADER_LEN;
        f.setShort(L4 + checksumOffset, Checksum.fold(Checksum.pseudoHeader(Ipv4.src(f, ETH), Ipv4.dst(f, ETH),
                Ipv4.protocol(f, ETH), l4Length)));
        return Offload.of(Offload.NEEDS_CSUM, Offload.GSO_NONE, 0, 0, L4, checksumOffset);
    }

    private static boolean tcpChecksumOk(ByteBuf f) {
        int l4Length = Ipv4.totalLength(f, ETH) - Ipv4.headerLength(f, ETH);
        int sum = Checksum.add(f, L4, l4Length, Checksum.pseudoHeader(Ipv4.src(f, ETH), Ipv4.dst(f, ETH),
                Ipv4.PROTO_TCP, l4Length));
        return Checksum.fold(sum) == 0xFFFF;
    }

    @Test
    void theHeaderIsReadAndWrittenAsTheKernelLaysItOut() {
        // NEEDS_CSUM, TCPv4|ECN, hdr_len 66, gso_size 1448, csum_start 34, csum_offset 16 (little-endian)
        byte[] wire = HexFormat.of().parseHex("01814200a80522001000");
        long o = Offload.read(Unpooled.wrappedBuffer(wire), 0);
        assertTrue(Offload.needsChecksum(o));
        assertEquals(Offload.GSO_TCPV4, Offload.gsoType(o));
        assertEquals(66, Offload.hdrLen(o));
        assertEquals(1448, Offload.gsoSize(o));
        assertEquals(34, Offload.csumStart(o));
        assertEquals(16, Offload.csumOffset(o));
        ByteBuf back = Unpooled.buffer(10).writeZero(10);
        Offload.write(back, 0, o);
        assertArrayEquals(wire, ByteBufUtil.getBytes(back));
        assertEquals(0, Offload.read(Unpooled.wrappedBuffer(new byte[10]), 0), "all zeros: a plain frame");
        assertEquals("partial checksum at 34+16, TCPv4 super-frame, segments of 1448 bytes", Offload.describe(o));
    }

    @Test
    void aPartialChecksumIsCompletedToTheChecksumOfTheWholeSegment() {
        for (boolean udp : new boolean[] {false, true}) {
            ByteBuf f = udp ? FrameBuilder.udp(B, A, IP_A, IP_B, 4000, 53, payload(333))
                    : FrameBuilder.tcp(B, A, IP_A, IP_B, 4000, 80, Tcp.ACK_FLAG, payload(333));
            byte[] complete = ByteBufUtil.getBytes(f);
            long o = makePartial(f, udp ? Udp.CHECKSUM : Tcp.CHECKSUM);
            assertFalse(ByteBufUtil.equals(Unpooled.wrappedBuffer(complete), f), "partial differs");
            SoftwareOffload.completeChecksum(f, 0, f.readableBytes(), o);
            assertArrayEquals(complete, ByteBufUtil.getBytes(f), udp ? "udp" : "tcp");
            f.release();
        }
    }

    @Test
    void aSuperFrameIsCutIntoSegmentsLikeTheKernelsGso() {
        byte[] data = payload(3000);
        ByteBuf f = FrameBuilder.tcp(B, A, IP_A, IP_B, 4000, 80, Tcp.ACK_FLAG | Tcp.PSH | Tcp.FIN | Tcp.CWR, data);
        f.setInt(L4 + Tcp.SEQ, 5000);
        long o = makePartial(f, Tcp.CHECKSUM) | Offload.of(0, Offload.GSO_TCPV4 | Offload.GSO_ECN, L4 + 20, 1000, 0, 0);
        List<ByteBuf> segments = new ArrayList<>();
        int n = SoftwareOffload.segment(f, 0, f.readableBytes(), o, c -> Unpooled.directBuffer(c), segments::add);
        assertEquals(3, n);
        ByteBuf joined = Unpooled.buffer();
        for (int i = 0; i < 3; i++) {
            ByteBuf s = segments.get(i);
            assertEquals(L4 + 20 + 1000, s.readableBytes());
            assertEquals(20 + 20 + 1000, Ipv4.totalLength(s, ETH));
            assertEquals((0x4321 + i) & 0xFFFF, s.getUnsignedShort(ETH + Ipv4.ID), "ids count up");
            assertTrue(Checksum.verify(s, ETH, Ipv4.MIN_HEADER_LEN), "IP checksum of segment " + i);
            assertTrue(tcpChecksumOk(s), "TCP checksum of segment " + i);
            assertEquals(5000 + 1000L * i, s.getUnsignedInt(L4 + Tcp.SEQ));
            int flags = s.getUnsignedByte(L4 + Tcp.FLAGS);
            assertEquals(i == 2, (flags & (Tcp.FIN | Tcp.PSH)) == (Tcp.FIN | Tcp.PSH), "FIN and PSH on the last only");
            assertEquals(i == 0, (flags & Tcp.CWR) != 0, "CWR on the first only");
            assertTrue((flags & Tcp.ACK_FLAG) != 0);
            joined.writeBytes(s, L4 + 20, 1000);
            s.release();
        }
        assertArrayEquals(data, ByteBufUtil.getBytes(joined), "the payload, in order, once");
        assertEquals(-1, SoftwareOffload.segment(f, 0, f.readableBytes(), Offload.of(1, Offload.GSO_TCPV6, 0, 1000,
                L4, 16), c -> Unpooled.directBuffer(c), segments::add), "TCPv6 is not cut here");
        List<ByteBuf> refused = new ArrayList<>();
        assertEquals(-1, SoftwareOffload.segment(f, 0, f.readableBytes(), Offload.of(1, Offload.GSO_TCPV4, 0, 1,
                L4, 16), c -> Unpooled.directBuffer(c), refused::add), "a 1-byte MSS (3000 segments) is refused");
        assertTrue(refused.isEmpty(), "nothing handed out when refused");
        f.release();
    }

    @Test
    void natOnAPartialChecksumGivesTheBytesOfNatOnACompleteOne() {
        for (boolean udp : new boolean[] {false, true}) {
            ByteBuf complete = udp ? FrameBuilder.udp(B, A, IP_A, IP_B, 40000, 53, payload(500))
                    : FrameBuilder.tcp(B, A, IP_A, IP_B, 40000, 80, Tcp.ACK_FLAG, payload(500));
            ByteBuf partial = complete.copy();
            long o = makePartial(partial, udp ? Udp.CHECKSUM : Tcp.CHECKSUM);
            int natIp = Ipv4Addr.parse("192.168.1.2");
            NatRewrite.setSrcAddress(complete, ETH, natIp);
            NatRewrite.setSrcPort(complete, ETH, 61000);
            NatRewrite.setDstAddress(complete, ETH, Ipv4Addr.parse("10.9.8.7"));
            NatRewrite.setSrcAddress(partial, ETH, natIp, true);
            NatRewrite.setSrcPort(partial, ETH, 61000, true);
            NatRewrite.setDstAddress(partial, ETH, Ipv4Addr.parse("10.9.8.7"), true);
            SoftwareOffload.completeChecksum(partial, 0, partial.readableBytes(), o);
            assertArrayEquals(ByteBufUtil.getBytes(complete), ByteBufUtil.getBytes(partial), udp ? "udp" : "tcp");
            complete.release();
            partial.release();
        }
    }
}
