package dev.vnet.dataplane.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vnet.dataplane.port.FrameSink;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.vxlan.Decapsulation;
import dev.vnet.dataplane.vxlan.VxlanEndpoint;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.SoftwareOffload;
import dev.vnet.dataplane.wire.TcpCoalescing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A VTEP's receive path on any bytes a coalesced read ({@code UDP_GRO}) can hand it, from a configured VTEP: the
 * first two bytes choose the datagram size, the rest are the datagrams back to back. Nothing may throw, every buffer
 * is released, and every super-frame the segments are joined into is sound: an IPv4 TCP frame as long as its header
 * says, which cuts back into segments that each carry a correct checksum (a joined frame's checksum is trusted by the
 * namespace that receives it, so a corrupt segment must never be joined).
 */
class VxlanFuzzTest {
    static {
        FuzzScript.quietLeakDetectorWhileFuzzing();
    }

    private static final int FROM = Ipv4Addr.parse("127.0.0.2");
    private static final UnpooledByteBufAllocator ALLOC = new UnpooledByteBufAllocator(true);
    private static final List<ByteBuf> RECEIVED = new ArrayList<>();
    private static final List<Long> OFFLOADS = new ArrayList<>();
    private static final Decapsulation DECAPSULATION = decapsulation();

    private static Decapsulation decapsulation() {
        FrameSink sink = new FrameSink() {
            @Override
            public void beginBatch() {
            }

            @Override
            public void receive(Port in, ByteBuf frame, long offload) {
                RECEIVED.add(frame);
                OFFLOADS.add(offload);
            }

            @Override
            public void endBatch() {
            }

            @Override
            public void failed(Port in, Throwable t) {
                throw new AssertionError("the receive path threw", t);
            }
        };
        try {
            VxlanEndpoint endpoint = VxlanEndpoint.open(1, Ipv4Addr.parse("127.0.0.1"), 0, 1500,
                    new FrameSink[] {sink}, ALLOC);
            endpoint.addTunnel(2, "vxlan42@127.0.0.2", 42, FROM, true, true);
            endpoint.addTunnel(3, "vxlan43@127.0.0.2", 43, FROM, true, true);
            return new Decapsulation(endpoint, sink, ALLOC);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot open a VTEP on 127.0.0.1", e);
        }
    }

    @FuzzTest(maxDuration = "")
    void groBatch(byte[] data) {
        if (data.length < 3) {
            return;
        }
        int size = 1 + ((data[0] & 0xFF) << 8 | (data[1] & 0xFF)) % 1600;
        int n = data.length - 2;
        ByteBuf buf = ALLOC.directBuffer(n, n).writeBytes(data, 2, n);
        try {
            DECAPSULATION.batch(buf, n, size, FROM);
            for (int i = 0; i < RECEIVED.size(); i++) {
                check(RECEIVED.get(i), OFFLOADS.get(i));
            }
        } finally {
            buf.release();
            RECEIVED.forEach(ByteBuf::release);
            RECEIVED.clear();
            OFFLOADS.clear();
        }
        assertEquals(0, ALLOC.metric().usedDirectMemory(), "every buffer released");
    }

    private static void check(ByteBuf frame, long offload) {
        if (!Offload.isGso(offload)) {
            assertEquals(0, offload, "a frame that was not joined travels as it came");
            return;
        }
        int length = frame.readableBytes();
        assertEquals(length - Ethernet.HEADER_LEN, Ipv4.totalLength(frame, Ethernet.HEADER_LEN),
                "a joined frame is as long as its IP header says");
        List<ByteBuf> segments = new ArrayList<>();
        int count = SoftwareOffload.segment(frame, frame.readerIndex(), length, offload, ALLOC::directBuffer,
                segments::add);
        try {
            assertTrue(count >= 2, "a joined frame cuts back into segments: " + count);
            for (ByteBuf s : segments) {
                assertTrue(TcpCoalescing.payload(s, 0, s.readableBytes()) > 0,
                        "every segment of a joined frame has correct checksums");
            }
        } finally {
            segments.forEach(ByteBuf::release);
        }
    }
}
