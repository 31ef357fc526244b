package dev.vnet.bench;

import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.wire.Checksum;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Offload;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The wire and checksum benchmarks do real work: frames parse to their keys, and every checksum they touch is right. */
class WireBenchmarksTest {
    private static final int IP = Ethernet.HEADER_LEN;

    @Test
    void everyFrameParsesToItsConnectionKey() {
        WireParseBenchmark b = new WireParseBenchmark();
        b.setUp();
        try {
            for (int i = 0; i < WireParseBenchmark.FRAMES; i++) {
                long hi = b.key(b.frame(i));
                assertEquals(FlowKey.hi(0xC0A80F00 | i, 0xC6336400 | (255 - i)), hi, "frame " + i + " addresses");
                int protocol = i % 2 == 0 ? Ipv4.PROTO_UDP : Ipv4.PROTO_TCP;
                int ports = i % 2 == 0 ? 10_000 + i : 20_000 + i;
                assertEquals(FlowKey.lo(protocol, ports, i % 2 == 0 ? 53 : 80), b.lastLo(), "frame " + i + " ports");
            }
            assertNotEquals(0, b.ethernet() + b.ipv4() + b.flowKey());
            assertTrue(b.virtioHeader() != 0, "the TCP frames' headers carry offload state");
            for (int i = 0; i < WireParseBenchmark.FRAMES; i++) {
                long walk = b.ipv6Walk(i);
                assertEquals(dev.vnet.dataplane.wire.Ipv6.NH_UDP, dev.vnet.dataplane.wire.Ipv6.upperProtocol(walk),
                        "IPv6 frame " + i + " walks to its UDP header");
                assertEquals(i % 2 == 0 ? 48 : 40, dev.vnet.dataplane.wire.Ipv6.upperOffset(walk),
                        "behind a hop-by-hop header every other frame");
            }
            assertNotEquals(0, b.ipv6());
        } finally {
            b.tearDown();
        }
    }

    @Test
    void checksumsStayRightThroughTtlAndNatRewrites() {
        ChecksumBenchmark b = new ChecksumBenchmark();
        b.setUp();
        try {
            int passes = 300 * ChecksumBenchmark.FRAMES / ChecksumBenchmark.BATCH; // 300 uses a frame: TTLs wrap
            for (int n = 0; n < passes; n++) {
                b.ttl();
            }
            for (int n = 0; n < 3 * ChecksumBenchmark.FRAMES / ChecksumBenchmark.BATCH; n++) {
                b.natRewrite(); // three passes: the frames end translated
            }
            assertTrue(b.translated(), "an odd number of passes leaves the frames translated");
            for (int i = 0; i < ChecksumBenchmark.FRAMES; i++) {
                ByteBuf f = b.frame(i);
                assertEquals(0xC0A80102, Ipv4.src(f, IP), "frame " + i + " translated");
                assertTrue(Checksum.verify(f, IP, Ipv4.MIN_HEADER_LEN), "frame " + i + " IPv4 header checksum");
                assertTrue(transportChecksumRight(f), "frame " + i + " transport checksum");
                int ttl = Ipv4.ttl(f, IP);
                assertTrue(ttl >= 1 && ttl <= 255, "frame " + i + " TTL " + ttl);
            }
            for (int n = 0; n < 3; n++) {
                b.headerChecksum();
                b.completeChecksum();
            }
            for (int i = 0; i < ChecksumBenchmark.BIG_FRAMES; i++) {
                assertTrue(transportChecksumRight(b.bigFrame(i)), "full-size frame " + i + " completed");
            }
        } finally {
            b.tearDown();
        }
    }

    @Test
    void aSuperFrameIsCutIntoSegmentsWithRightChecksums() {
        SoftwareOffloadBenchmark b = new SoftwareOffloadBenchmark();
        b.setUp();
        try {
            assertEquals(65_480, b.ipLength());
            java.util.List<ByteBuf> segments = new java.util.ArrayList<>();
            int n = b.segmentInto(segments::add);
            int payload = 65_480 - 40;
            assertEquals((payload + SoftwareOffloadBenchmark.MSS - 1) / SoftwareOffloadBenchmark.MSS, n);
            assertEquals(n, segments.size());
            int carried = 0;
            for (ByteBuf s : segments) {
                assertTrue(Checksum.verify(s, IP, Ipv4.MIN_HEADER_LEN), "IPv4 header checksum");
                assertTrue(transportChecksumRight(s), "TCP checksum");
                carried += Ipv4.totalLength(s, IP) - 40;
                s.release();
            }
            assertEquals(payload, carried, "the segments carry the whole payload");
            assertEquals(n, b.segment(), "the benchmark cuts as many");
            assertEquals(n, b.segments(), "and releases every one");
        } finally {
            b.tearDown();
        }
    }

    @Test
    void theMacTableHoldsEveryStationItIsGiven() {
        TableLookupBenchmark t = new TableLookupBenchmark();
        t.size = 1000;
        t.setUp();
        assertEquals(1000, t.macCount());
        assertTrue(t.mac() != null, "a present MAC is found");
    }

    /** The TCP/UDP checksum over pseudo-header and segment sums to all ones (RFC 1071's check). */
    private static boolean transportChecksumRight(ByteBuf f) {
        int length = Ipv4.totalLength(f, IP) - Ipv4.MIN_HEADER_LEN;
        int sum = Checksum.pseudoHeader(Ipv4.src(f, IP), Ipv4.dst(f, IP), Ipv4.protocol(f, IP), length);
        return Checksum.fold(Checksum.add(f, IP + Ipv4.MIN_HEADER_LEN, length, sum)) == 0xFFFF;
    }

    @Test
    void thePartialChecksumStateIsWhatATapReadGives() {
        assertTrue(Offload.needsChecksum(ChecksumBenchmark.PARTIAL_TCP));
        assertEquals(IP + Ipv4.MIN_HEADER_LEN, Offload.csumStart(ChecksumBenchmark.PARTIAL_TCP));
    }
}
