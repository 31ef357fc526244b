package dev.vnet.dataplane.trace;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.wire.Arp;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Captures on a running dataplane with in-memory ports: filters, directions, drops, a reader that stops, files. */
class CaptureTest {
    private static final long A = MacAddr.parse("02:00:00:00:00:0a");
    private static final long B = MacAddr.parse("02:00:00:00:00:0b");
    private static final int IP_A = Ipv4Addr.parse("10.0.0.1");
    private static final int IP_B = Ipv4Addr.parse("10.0.0.2");

    @TempDir
    Path dir;
    private Dataplane dp;

    @BeforeEach
    void start() {
        dp = Dataplane.start();
        dp.addBridge("br0", BridgeOptions.defaults());
        dp.addMemoryPort("a", "br0");
        dp.addMemoryPort("b", "br0");
    }

    @AfterEach
    void stop() {
        dp.drainSent("a").forEach(ByteBuf::release);
        dp.drainSent("b").forEach(ByteBuf::release);
        dp.close();
    }

    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    private static ByteBuf udp(int dstPort) {
        return FrameBuilder.udp(B, A, IP_A, IP_B, 40000, dstPort, "payload".getBytes());
    }

    private static byte[] bytes(ByteBuf f) {
        byte[] b = new byte[f.readableBytes()];
        f.getBytes(f.readerIndex(), b);
        f.release();
        return b;
    }

    /** What a drain saw, one entry per frame. */
    private record Seen(String port, int direction, byte[] data, DropReason why) {
    }

    private static List<Seen> drain(Capture c) throws IOException {
        List<Seen> out = new ArrayList<>();
        c.drain((port, name, d, data, length, wire, nanos, why, detail) -> out.add(new Seen(name, d,
                Arrays.copyOf(data, length), why)));
        return out;
    }

    @Test
    void aBpfFilterSelectsFramesAndEachDirectionIsSeenWhereItHappens() throws IOException {
        Capture c = dp.startCapture(List.of("a", "b"), Capture.IN | Capture.OUT, BpfFilter.compile("udp port 53"),
                64, 65535);
        byte[] wanted = bytes(udp(53));
        dp.inject("a", FrameBuilder.of(wanted));
        dp.inject("a", udp(54));
        dp.portStats(); // a round trip through the loop: both frames handled
        List<Seen> seen = drain(c);
        assertEquals(2, seen.size(), "udp port 53 in on a and out on b; port 54 not at all: " + seen);
        assertEquals("a", seen.get(0).port());
        assertEquals(Capture.IN, seen.get(0).direction());
        assertEquals("b", seen.get(1).port());
        assertEquals(Capture.OUT, seen.get(1).direction());
        assertArrayEquals(wanted, seen.get(0).data());
        assertArrayEquals(wanted, seen.get(1).data(), "flooded unchanged");
        assertEquals(2, c.captured());
        dp.stopCapture(c);
        dp.inject("a", udp(53));
        dp.portStats();
        assertEquals(0, drain(c).size(), "nothing after stop");
    }

    @Test
    void routedFramesAreCapturedOnceInTheDirectionTheyCross() throws IOException {
        dp.addGateway("br0", Ipv4Cidr.parse("10.0.0.254/24"), 1500);
        dp.addUplinkMemoryPort("up", Ipv4Cidr.parse("198.51.100.1/24"), 1500);
        int far = Ipv4Addr.parse("198.51.100.2");
        long farMac = MacAddr.parse("02:00:00:00:00:ff");
        long routerMac = MacAddr.derived("gw:br0");
        long uplinkMac = MacAddr.derived("up");
        Capture c = dp.startCapture(List.of("all"), Capture.IN | Capture.OUT, CaptureFilter.ALL, 64, 65535);
        dp.inject("a", FrameBuilder.icmpEcho(routerMac, A, IP_A, far, 7, 1, new byte[8]));
        // The router asks for the far host on the uplink; its answer releases the ping.
        ByteBuf reply = FrameBuilder.ethernet(uplinkMac, farMac, Ethernet.TYPE_ARP, new byte[Arp.LENGTH]);
        Arp.write(reply, Ethernet.HEADER_LEN, Arp.OP_REPLY, farMac, far, uplinkMac, Ipv4Addr.parse("198.51.100.1"));
        dp.inject("up", reply);
        dp.drainSent("up").forEach(ByteBuf::release);
        List<String> seen = drain(c).stream().map(x -> x.port() + (x.direction() == Capture.IN ? " in " : " out ")
                + FrameSummary.of(x.data(), x.data().length)).toList();
        assertEquals(List.of(
                "a in IP 10.0.0.1 > 198.51.100.2: icmp echo request id 7 seq 1, ttl 64",
                "gw:br0 in IP 10.0.0.1 > 198.51.100.2: icmp echo request id 7 seq 1, ttl 64",
                "up out ARP who-has 198.51.100.2 tell 198.51.100.1",
                "up in ARP 198.51.100.2 is-at 02:00:00:00:00:ff",
                "up out IP 10.0.0.1 > 198.51.100.2: icmp echo request id 7 seq 1, ttl 63"), seen,
                "what the router sends is 'out' where it leaves, once; what reaches it is 'in' at its port");
        dp.stopCapture(c);
    }

    @Test
    void aBadFilterIsRefusedWithLibpcapsReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BpfFilter.compile("tcp port eighty"));
        assertTrue(e.getMessage().startsWith("filter 'tcp port eighty': "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dp.startCapture(List.of("nope"), Capture.IN,
                CaptureFilter.ALL, 8, 100), "unknown port");
    }

    @Test
    void dropsAreCapturedWithTheirReason() throws IOException {
        Capture c = dp.startCapture(List.of(), Capture.DROPS, CaptureFilter.ALL, 64, 65535);
        dp.inject("a", FrameBuilder.of(new byte[10]));
        dp.inject("a", FrameBuilder.ethernet(B, MacAddr.parse("01:00:5e:00:00:01"), 0x0800, new byte[46]));
        dp.inject("a", udp(53)); // forwarded: not a drop
        dp.portStats();
        List<Seen> seen = drain(c);
        assertEquals(2, seen.size(), seen.toString());
        assertEquals(DropReason.RUNT, seen.get(0).why());
        assertEquals(DropReason.SRC_MAC_MULTICAST, seen.get(1).why());
        assertEquals(Capture.DROPS, seen.get(0).direction());
        dp.stopCapture(c);
    }

    @Test
    void aReaderThatStopsReadingCostsCaptureDropsNotForwarding() throws IOException {
        Capture c = dp.startCapture(List.of("b"), Capture.OUT, CaptureFilter.ALL, 4, 65535);
        for (int i = 0; i < 100; i++) {
            dp.inject("a", udp(1000 + i));
        }
        List<ByteBuf> out = dp.drainSent("b");
        assertEquals(100, out.size(), "every frame forwarded though nobody reads the capture");
        out.forEach(ByteBuf::release);
        assertEquals(4, c.captured(), "the ring held what it could");
        assertEquals(96, c.ringFull(), "the rest counted as capture drops");
        assertEquals(4, drain(c).size());
        dp.inject("a", udp(7));
        dp.portStats();
        assertEquals(1, drain(c).size(), "room again once read");
        dp.stopCapture(c);
    }

    /** Writes what {@code c} holds as pcapng, one interface per port, as the API streams it. */
    private static void writePcapng(Capture c, OutputStream file) throws IOException {
        PcapngWriter w = new PcapngWriter(file, 65535, "vnet test");
        List<String> interfaces = new ArrayList<>();
        c.drain((port, name, d, data, length, wire, nanos, why, detail) -> {
            int id = interfaces.indexOf(name);
            if (id < 0) {
                id = w.addInterface(name);
                interfaces.add(name);
            }
            w.writeFrame(id, nanos / 1000, data, length, wire, d == Capture.IN ? PcapngWriter.INBOUND
                    : d == Capture.OUT ? PcapngWriter.OUTBOUND : PcapngWriter.UNKNOWN, why == null ? null
                    : "dropped: " + why.label());
        });
        w.flush();
    }

    @Test
    void pcapngFilesAreReadBackByPcap4jTsharkAndTcpdump() throws Exception {
        Capture c = dp.startCapture(List.of("a"), Capture.IN | Capture.DROPS, CaptureFilter.ALL, 64, 65535);
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byte[] f = bytes(udp(2000 + i));
            sent.add(f);
            dp.inject("a", FrameBuilder.of(f));
        }
        dp.inject("a", FrameBuilder.of(new byte[10]));
        dp.portStats();
        Path file = dir.resolve("a.pcapng");
        try (OutputStream out = Files.newOutputStream(file)) {
            writePcapng(c, out);
        }
        dp.stopCapture(c);

        try (PcapHandle h = Pcaps.openOffline(file.toString())) {
            for (byte[] f : sent) {
                assertArrayEquals(f, h.getNextRawPacket(), "pcap4j reads the frame back");
            }
            h.getNextRawPacket(); // the ingress copy of the runt
            assertArrayEquals(new byte[10], h.getNextRawPacket(), "and the dropped runt");
            assertNull(h.getNextRawPacket(), "nothing more");
        }
        ExternalTool tshark = ExternalTool.require("tshark");
        List<String> fields = tshark.run("-r", file.toString(), "-T", "fields", "-e", "frame.interface_name",
                "-e", "udp.dstport", "-e", "frame.comment");
        assertEquals(7, fields.size(), fields.toString());
        assertEquals("a\t2000\t", fields.get(0));
        assertEquals("a\t\tdropped: runt", fields.get(6));
        assertEquals(1, tshark.run("-r", file.toString(), "-Y", "udp.dstport == 2003").size(),
                "tshark's own filter finds one frame");
        List<String> lines = ExternalTool.require("tcpdump").run("-n", "-r", file.toString(), "udp");
        assertEquals(5, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("10.0.0.1.40000 > 10.0.0.2.2000: UDP, length 7"), lines.get(0));
    }

    @Test
    void summariesReadLikeTcpdump() {
        byte[] f = bytes(udp(53));
        assertEquals("IP 10.0.0.1.40000 > 10.0.0.2.53: udp len 7, ttl 64", FrameSummary.of(f, f.length));
        assertEquals("runt (3 bytes)", FrameSummary.of(f, 3));
        byte[] arp = bytes(FrameBuilder.arpRequest(A, IP_A, IP_B));
        assertEquals("ARP who-has 10.0.0.2 tell 10.0.0.1", FrameSummary.of(arp, arp.length));
    }

    /** Writes to nowhere: the stream's size is what matters. */
    @Test
    void aWriterIsBlockAligned() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PcapngWriter w = new PcapngWriter(out, 100, "x");
        w.addInterface("blue");
        w.writeFrame(0, 1, new byte[13], 13, 13, PcapngWriter.INBOUND, "dropped: runt");
        assertEquals(0, out.size() % 4);
    }
}
