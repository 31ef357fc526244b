package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The VXLAN header view against what the Linux kernel's vxlan sends: datagrams captured between two kernel vxlan
 * devices (VNI 42, port 4789) in namespaces, with the outer UDP checksum and without ({@code capture.sh} beside the
 * pcaps made them).
 */
class VxlanTest {
    private static final int IP = Ethernet.HEADER_LEN;
    private static final int UDP = IP + Ipv4.MIN_HEADER_LEN;
    private static final int VXLAN = UDP + Udp.HEADER_LEN;
    private static final long[] SENDERS = {MacAddr.parse("02:00:00:00:0a:01"), MacAddr.parse("02:00:00:00:0b:01")};

    @Test
    void everyDatagramTheKernelSentIsAcceptedWithItsVniAndInnerFrame() throws Exception {
        for (String file : List.of("kernel-udpcsum.pcap", "kernel-noudpcsum.pcap")) {
            List<byte[]> frames = pcap(file);
            assertEquals(4, frames.size(), file);
            for (byte[] f : frames) {
                ByteBuf buf = Unpooled.wrappedBuffer(f);
                assertNull(Ipv4.check(buf, IP, f.length - IP), file);
                assertEquals(Ipv4.PROTO_UDP, Ipv4.protocol(buf, IP));
                assertEquals(Vxlan.PORT, Udp.dstPort(buf, UDP), "the kernel sends to the port it was given");
                int available = Udp.length(buf, UDP) - Udp.HEADER_LEN;
                assertNull(Vxlan.check(buf, VXLAN, available), file + ": accepted");
                assertEquals(42, Vxlan.vni(buf, VXLAN), file);
                int inner = VXLAN + Vxlan.HEADER_LEN;
                assertNull(Ethernet.check(buf, inner, available - Vxlan.HEADER_LEN), file + ": a whole inner frame");
                long src = Ethernet.src(buf, inner);
                assertTrue(src == SENDERS[0] || src == SENDERS[1], file + ": the inner source is a vxlan device's MAC, "
                        + "not " + MacAddr.toString(src));
            }
        }
    }

    @Test
    void vnetWritesTheHeaderTheKernelWrites() throws Exception {
        byte[] kernel = new byte[Vxlan.HEADER_LEN];
        System.arraycopy(pcap("kernel-udpcsum.pcap").get(0), VXLAN, kernel, 0, Vxlan.HEADER_LEN);
        ByteBuf ours = Unpooled.buffer(Vxlan.HEADER_LEN).writeZero(Vxlan.HEADER_LEN);
        Vxlan.write(ours, 0, 42);
        assertArrayEquals(kernel, ours.array(), "flags 0x08, VNI 42, every reserved bit zero");
    }

    @Test
    void theOuterHeadersAreTheKernelDefaultsVnetFollows() throws Exception {
        for (byte[] f : pcap("kernel-udpcsum.pcap")) {
            ByteBuf buf = Unpooled.wrappedBuffer(f);
            assertFalse(Ipv4.dontFragment(buf, IP), "DF clear (the kernel's default without df set)");
            assertEquals(64, Ipv4.ttl(buf, IP), "TTL 64");
            int port = Udp.srcPort(buf, UDP);
            assertTrue(port >= 32768 && port <= 60999, "source port " + port + " in ip_local_port_range");
            int sent = buf.getUnsignedShort(UDP + Udp.CHECKSUM);
            assertTrue(sent != 0, "the outer UDP checksum computed");
            ByteBuf copy = Unpooled.copiedBuffer(f);
            Udp.updateChecksum(copy, UDP, Ipv4.src(buf, IP), Ipv4.dst(buf, IP));
            assertEquals(sent, copy.getUnsignedShort(UDP + Udp.CHECKSUM), "and right: vnet computes the same");
        }
        for (byte[] f : pcap("kernel-noudpcsum.pcap")) {
            assertEquals(0, Unpooled.wrappedBuffer(f).getUnsignedShort(UDP + Udp.CHECKSUM), "noudpcsum sends 0");
        }
    }

    @Test
    void aHeaderWithAnyReservedBitOrWithoutTheIFlagIsDroppedAsTheKernelDrops() {
        ByteBuf buf = Unpooled.buffer(64).writeZero(64);
        for (int bit = 0; bit < 64; bit++) {
            boolean vniBit = bit >= 32 && bit < 56;
            if (vniBit) {
                continue;
            }
            Vxlan.write(buf, 0, 42);
            if (bit == 4) {
                buf.setByte(0, 0); // the I flag (bit 4 from the top of the first byte) cleared
            } else {
                buf.setByte(bit / 8, buf.getByte(bit / 8) | (0x80 >>> (bit % 8)));
            }
            assertEquals(DropReason.VXLAN_BAD_FLAGS, Vxlan.check(buf, 0, 64), "bit " + bit + " of the header");
        }
        Vxlan.write(buf, 0, Vxlan.MAX_VNI);
        assertNull(Vxlan.check(buf, 0, 64), "every VNI bit may be set");
        assertEquals(Vxlan.MAX_VNI, Vxlan.vni(buf, 0));
    }

    @Test
    void aDatagramTooShortForTheHeaderAndAnInnerEthernetHeaderIsTruncated() {
        ByteBuf buf = Unpooled.buffer(64).writeZero(64);
        Vxlan.write(buf, 0, 7);
        assertEquals(DropReason.VXLAN_TRUNCATED, Vxlan.check(buf, 0, Vxlan.HEADER_LEN + Ethernet.HEADER_LEN - 1));
        assertNull(Vxlan.check(buf, 0, Vxlan.HEADER_LEN + Ethernet.HEADER_LEN));
        assertEquals(DropReason.VXLAN_TRUNCATED, Vxlan.check(buf, 0, 0));
    }

    @Test
    void theSourcePortScalesTheFlowHashIntoTheRangeAsTheKernelDoes() {
        assertEquals(32768, Vxlan.sourcePort(0, 32768, 60999));
        assertEquals(60998, Vxlan.sourcePort(-1, 32768, 60999), "the top of the hash stays below the range's end");
        assertEquals(32768 + 14115, Vxlan.sourcePort(0x8000_0000, 32768, 60999), "half the hash, half the range");
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            int hash = random.nextInt();
            int port = Vxlan.sourcePort(hash, 49152, 65535);
            assertTrue(port >= 49152 && port <= 65535, "in range: " + port);
            assertEquals(port, Vxlan.sourcePort(hash, 49152, 65535), "one flow, one port");
        }
    }

    @Test
    void theOverheadOverIpv4IsFiftyBytes() {
        assertEquals(50, Vxlan.OVERHEAD_IPV4);
    }

    /** The frames of a pcap beside this class, read by libpcap (pcap4j), as CaptureTest reads its files. */
    private static List<byte[]> pcap(String name) throws Exception {
        java.net.URL url = VxlanTest.class.getResource("vxlan/" + name);
        assertTrue(url != null, "test resource vxlan/" + name);
        List<byte[]> frames = new ArrayList<>();
        try (PcapHandle h = Pcaps.openOffline(Path.of(url.toURI()).toString())) {
            for (byte[] f = h.getNextRawPacket(); f != null; f = h.getNextRawPacket()) {
                frames.add(f);
            }
        }
        return frames;
    }
}
