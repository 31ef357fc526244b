package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cutting a super-frame into one buffer behind encapsulation headers ({@link SoftwareOffload#segmentInto}) and
 * joining segments back into one ({@link TcpCoalescing}): the round trip gives the super-frame back, and each rule by
 * which the kernel's GRO refuses to join two segments refuses here too.
 */
class TcpCoalescingTest {
    private static final long A = MacAddr.parse("02:00:00:00:00:0a");
    private static final long B = MacAddr.parse("02:00:00:00:00:0b");
    private static final int IP_A = Ipv4Addr.parse("192.0.2.1");
    private static final int IP_B = Ipv4Addr.parse("192.0.2.2");
    private static final int ETH = Ethernet.HEADER_LEN;
    private static final int L4 = ETH + Ipv4.MIN_HEADER_LEN;
    private static final int MSS = 1000;
    private static final int PREFIX = 8;

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    private static byte[] payload(int n) {
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte) (i * 13 + 5);
        }
        return p;
    }

    private static ByteBuf superFrame(int bytes, int flags) {
        ByteBuf f = FrameBuilder.tcp(B, A, IP_A, IP_B, 4000, 80, flags, payload(bytes));
        f.setInt(L4 + Tcp.SEQ, 7000);
        f.setInt(L4 + Tcp.ACK, 12345);
        Tcp.updateChecksum(f, L4, Tcp.MIN_HEADER_LEN + bytes, IP_A, IP_B);
        return f;
    }

    private static long gso() {
        return Offload.of(0, Offload.GSO_TCPV4, L4 + Tcp.MIN_HEADER_LEN, MSS, 0, 0);
    }

    /** {@code f} cut into one buffer, each segment behind 8 bytes of 0xEE, with its segment starts and payloads. */
    private record Cut(ByteBuf buf, int[] starts, int[] payloads) {
    }

    private static Cut cut(ByteBuf f) {
        ByteBuf prefix = Unpooled.buffer(PREFIX).writeBytes(new byte[] {-18, -18, -18, -18, -18, -18, -18, -18});
        int headers = SoftwareOffload.headerLength(f, 0, f.readableBytes(), gso());
        int payload = f.readableBytes() - headers;
        int count = (payload + MSS - 1) / MSS;
        ByteBuf out = Unpooled.directBuffer(count * (PREFIX + headers) + payload);
        assertEquals(count, SoftwareOffload.segmentInto(f, 0, f.readableBytes(), gso(), out, prefix, 0, PREFIX));
        assertEquals(out.capacity(), out.readableBytes(), "exactly the room the caller sized");
        int[] starts = new int[count];
        int[] payloads = new int[count];
        for (int i = 0, at = 0; i < count; i++) {
            assertEquals(0xEEEEEEEEEEEEEEEEL, out.getLong(at), "the prefix before segment " + i);
            starts[i] = at + PREFIX;
            payloads[i] = Math.min(MSS, payload - i * MSS);
            at += PREFIX + headers + payloads[i];
        }
        return new Cut(out, starts, payloads);
    }

    /** Joins the whole cut as the receive path does; returns the built super-frame and its offload in {@code out}. */
    private static long join(Cut c, ByteBuf out) {
        int n = c.starts().length;
        int run = c.payloads()[0];
        for (int i = 0; i < n; i++) {
            int len = L4 + Tcp.MIN_HEADER_LEN + c.payloads()[i];
            assertEquals(c.payloads()[i], TcpCoalescing.payload(c.buf(), c.starts()[i], len), "segment " + i);
            if (i > 0) {
                assertTrue(TcpCoalescing.continues(c.buf(), c.starts()[0], c.starts()[i - 1], c.payloads()[i - 1],
                        c.starts()[i], c.payloads()[i], MSS, run), "segment " + i + " continues the run");
                run += c.payloads()[i];
            }
        }
        return TcpCoalescing.build(c.buf(), c.starts(), c.payloads(), 0, n, out);
    }

    @Test
    void aSuperFrameCutBehindHeadersAndJoinedAgainIsTheSameSuperFrame() {
        ByteBuf f = superFrame(3500, Tcp.ACK_FLAG | Tcp.PSH);
        byte[] original = ByteBufUtil.getBytes(f);
        Cut c = cut(f);
        ByteBuf back = Unpooled.directBuffer(original.length);
        long offload = join(c, back);
        assertEquals(Offload.GSO_TCPV4, Offload.gsoType(offload));
        assertEquals(MSS, Offload.gsoSize(offload));
        assertTrue(Offload.needsChecksum(offload));
        assertEquals(L4, Offload.csumStart(offload));
        assertEquals(Tcp.CHECKSUM, Offload.csumOffset(offload));
        assertEquals(original.length, back.readableBytes());
        assertTrue(Checksum.verify(back, ETH, Ipv4.MIN_HEADER_LEN), "the IP header checksum of the whole");
        // Completing the partial checksum gives the original's; the IP id is the first segment's, which is the
        // original's. So the bytes are the original's.
        SoftwareOffload.completeChecksum(back, 0, back.readableBytes(), offload);
        assertArrayEquals(original, ByteBufUtil.getBytes(back), "the super-frame, byte for byte");
        assertEquals(Tcp.ACK_FLAG | Tcp.PSH, Tcp.flags(back, L4), "PSH of the last segment kept");
        back.release();
        c.buf().release();
        f.release();
    }

    /** Cuts a 3-segment super-frame, lets {@code spoil} change segment 1, and says whether segment 1 still joins. */
    private static boolean secondJoins(Consumer<Cut> spoil) {
        ByteBuf f = superFrame(3 * MSS, Tcp.ACK_FLAG);
        Cut c = cut(f);
        spoil.accept(c);
        int at = c.starts()[1];
        int len = L4 + Tcp.headerLength(c.buf(), at + L4) + c.payloads()[1];
        int payload = TcpCoalescing.payload(c.buf(), at, len);
        boolean joins = payload > 0 && TcpCoalescing.continues(c.buf(), c.starts()[0], c.starts()[0], MSS, at,
                payload, MSS, MSS);
        c.buf().release();
        f.release();
        return joins;
    }

    /** Sets a field of segment 1 and fixes its checksums, so that only the field differs. */
    private static Consumer<Cut> set(int offset, int width, long value) {
        return c -> {
            ByteBuf b = c.buf();
            int at = c.starts()[1];
            if (width == 1) {
                b.setByte(at + offset, (int) value);
            } else if (width == 2) {
                b.setShort(at + offset, (int) value);
            } else {
                b.setInt(at + offset, (int) value);
            }
            Ipv4.updateChecksum(b, at + ETH);
            Tcp.updateChecksum(b, at + L4, Ipv4.totalLength(b, at + ETH) - Ipv4.MIN_HEADER_LEN, IP_A, IP_B);
        };
    }

    @Test
    void headersCutAlonePlusThePayloadInPlaceAreTheSegmentsCutWhole() {
        ByteBuf f = superFrame(3 * MSS + 321, Tcp.ACK_FLAG | Tcp.PSH);
        Cut whole = cut(f);
        ByteBuf prefix = Unpooled.buffer(PREFIX).writeBytes(new byte[] {-18, -18, -18, -18, -18, -18, -18, -18});
        int headers = SoftwareOffload.headerLength(f, 0, f.readableBytes(), gso());
        ByteBuf heads = Unpooled.directBuffer(4 * (PREFIX + headers));
        assertEquals(4, SoftwareOffload.segmentHeaders(f, 0, f.readableBytes(), gso(), heads, prefix, 0, PREFIX));
        assertEquals(4 * (PREFIX + headers), heads.readableBytes(), "headers only");
        for (int i = 0; i < 4; i++) {
            ByteBuf joined = Unpooled.buffer();
            joined.writeBytes(heads, i * (PREFIX + headers), PREFIX + headers);
            joined.writeBytes(f, headers + i * MSS, whole.payloads()[i]);
            byte[] expected = ByteBufUtil.getBytes(whole.buf(), whole.starts()[i] - PREFIX,
                    PREFIX + headers + whole.payloads()[i]);
            assertArrayEquals(expected, ByteBufUtil.getBytes(joined), "segment " + i + ", checksums included");
        }
        heads.release();
        whole.buf().release();
        f.release();
    }

    @Test
    void segmentsJoinOnlyWhereTheKernelsGroWouldJoinThem() {
        assertTrue(secondJoins(c -> { }), "an untouched segment joins");
        assertFalse(secondJoins(set(L4 + Tcp.SEQ, 4, 7000 + MSS + 1)), "a gap in the sequence");
        assertFalse(secondJoins(set(L4 + Tcp.ACK, 4, 99)), "another acknowledgement number");
        assertFalse(secondJoins(set(L4 + Tcp.WINDOW, 2, 100)), "another window");
        assertFalse(secondJoins(set(L4 + Tcp.FLAGS, 1, Tcp.ACK_FLAG | Tcp.SYN)), "SYN");
        assertFalse(secondJoins(set(L4 + Tcp.FLAGS, 1, Tcp.ACK_FLAG | Tcp.FIN)), "FIN");
        assertFalse(secondJoins(set(L4 + Tcp.FLAGS, 1, Tcp.ACK_FLAG | Tcp.CWR)), "CWR");
        assertFalse(secondJoins(set(L4 + Tcp.FLAGS, 1, Tcp.PSH)), "no ACK");
        assertFalse(secondJoins(set(L4 + Tcp.DST_PORT, 2, 81)), "another flow");
        assertFalse(secondJoins(set(ETH + Ipv4.TTL, 1, 63)), "another TTL");
        assertFalse(secondJoins(set(ETH + Ipv4.FLAGS_FRAGMENT, 2, Ipv4.FLAG_MF)), "a fragment");
        assertFalse(secondJoins(set(0, 4, 0x02000099)), "another destination MAC");
        assertFalse(secondJoins(c -> c.buf().setByte(c.starts()[1] + L4 + Tcp.MIN_HEADER_LEN + 5, 0x55)),
                "a corrupt payload (checksum wrong)");
        assertFalse(secondJoins(c -> c.buf().setByte(c.starts()[1] + ETH + Ipv4.TOS, 0x10)),
                "a corrupt IP header (checksum wrong)");
    }

    @Test
    void aRunEndsAtPshAndAtAShortSegmentAndStaysWithin64KiB() {
        ByteBuf f = superFrame(3 * MSS, Tcp.ACK_FLAG);
        Cut c = cut(f);
        ByteBuf b = c.buf();
        assertFalse(TcpCoalescing.continues(b, c.starts()[0], c.starts()[0], MSS - 1, c.starts()[1], MSS, MSS, MSS),
                "after a segment shorter than the MSS nothing joins");
        assertFalse(TcpCoalescing.continues(b, c.starts()[0], c.starts()[0], MSS, c.starts()[1], MSS, MSS, 65000),
                "the run would pass 64 KiB");
        List<Integer> psh = new ArrayList<>();
        set(L4 + Tcp.FLAGS, 1, Tcp.ACK_FLAG | Tcp.PSH).accept(c);
        psh.add(TcpCoalescing.payload(b, c.starts()[1], L4 + Tcp.MIN_HEADER_LEN + MSS));
        assertEquals(List.of(MSS), psh, "a segment with PSH may end a run");
        assertFalse(TcpCoalescing.continues(b, c.starts()[0], c.starts()[1], MSS, c.starts()[2], MSS, MSS, 2 * MSS),
                "but nothing joins after it");
        b.release();
        f.release();
    }
}
