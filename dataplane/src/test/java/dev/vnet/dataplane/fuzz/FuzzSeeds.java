package dev.vnet.dataplane.fuzz;

import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Offload;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.vnet.dataplane.testing.RouterHarness.GW1;
import static dev.vnet.dataplane.testing.RouterHarness.GW_UPLINK;
import static dev.vnet.dataplane.testing.RouterHarness.GW2;
import static dev.vnet.dataplane.testing.RouterHarness.H1;
import static dev.vnet.dataplane.testing.RouterHarness.H2;
import static dev.vnet.dataplane.testing.RouterHarness.H3;
import static dev.vnet.dataplane.testing.RouterHarness.LAN;

/**
 * Writes the committed seed corpus: real frames of the router harness's topology (the seed lab's addresses), as
 * scripts for {@link PipelineFuzzTest} and as plain frames for {@link WireFuzzTest}. Run it again after changing the
 * script format: {@code java -cp ... dev.vnet.dataplane.fuzz.FuzzSeeds dataplane/src/test/resources}.
 */
public final class FuzzSeeds {
    private static final int H1_IP = Ipv4Addr.parse("192.168.15.1");
    private static final int H2_IP = Ipv4Addr.parse("192.168.15.2");
    private static final int H3_IP = Ipv4Addr.parse("192.168.16.3");
    private static final int GW1_IP = Ipv4Addr.parse("192.168.15.5");
    private static final int UP_IP = Ipv4Addr.parse("192.168.1.2");
    private static final int LAN_IP = Ipv4Addr.parse("192.168.1.3");

    private FuzzSeeds() {
    }

    private static byte[] bytes(ByteBuf buf) {
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /** Real frames, by name. */
    static Map<String, byte[]> frames() {
        Map<String, byte[]> f = new LinkedHashMap<>();
        f.put("arp-request-for-gateway", bytes(FrameBuilder.arpRequest(H1, H1_IP, GW1_IP)));
        f.put("udp-bridged", bytes(FrameBuilder.udp(H2, H1, H1_IP, H2_IP, 5000, 5001, "hello".getBytes())));
        f.put("udp-masquerade", bytes(FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40000, 53, new byte[32])));
        f.put("tcp-syn-masquerade", bytes(FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 40001, 80, 0x02, new byte[0])));
        f.put("tcp-syn-port-forward", bytes(FrameBuilder.tcp(GW_UPLINK, LAN, LAN_IP, UP_IP, 50000, 80, 0x02,
                new byte[0])));
        f.put("udp-port-forward", bytes(FrameBuilder.udp(GW_UPLINK, LAN, LAN_IP, UP_IP, 50001, 5353, new byte[12])));
        f.put("icmp-echo-routed", bytes(FrameBuilder.icmpEcho(GW1, H1, H1_IP, H3_IP, 7, 1, new byte[56])));
        f.put("icmp-echo-to-gateway", bytes(FrameBuilder.icmpEcho(GW1, H1, H1_IP, GW1_IP, 8, 1, new byte[8])));
        // Options the router writes into: record route and timestamps, to lan and to the gateway.
        int[] recordAndStamp = {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 68, 12, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0};
        f.put("icmp-echo-options-routed", bytes(FrameBuilder.withOptions(FrameBuilder.icmpEcho(GW1, H1, H1_IP, LAN_IP,
                9, 1, new byte[16]), recordAndStamp)));
        f.put("icmp-echo-options-to-gateway", bytes(FrameBuilder.withOptions(FrameBuilder.icmpEcho(GW1, H1, H1_IP,
                GW1_IP, 10, 1, new byte[16]), recordAndStamp)));
        byte[] big = bytes(FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40002, 9000, new byte[1400]));
        f.put("udp-over-uplink-mtu", big);
        byte[] fragment = big.clone();
        fragment[Ethernet.HEADER_LEN + 6] = 0x20; // more fragments, offset 0
        f.put("ipv4-first-fragment", fragment);
        byte[] ttl1 = bytes(FrameBuilder.udp(GW1, H1, H1_IP, LAN_IP, 40003, 9000, new byte[8]));
        ttl1[Ethernet.HEADER_LEN + 8] = 1;
        f.put("ipv4-ttl-1", ttl1);
        byte[] tagged = new byte[big.length + 4];
        System.arraycopy(big, 0, tagged, 0, 12);
        tagged[12] = (byte) 0x81;
        tagged[14] = 0x00;
        tagged[15] = 0x0A;
        System.arraycopy(big, 12, tagged, 16, big.length - 12);
        f.put("vlan-tagged", tagged);
        // IPv6 to the router: a solicitation for its address, a ping, a router solicitation (the seed lab's numbering).
        dev.vnet.dataplane.wire.Ipv6Address h1v6 = dev.vnet.dataplane.wire.Ipv6Address.parse("fd00:15::1");
        dev.vnet.dataplane.wire.Ipv6Address gwv6 = dev.vnet.dataplane.wire.Ipv6Address.parse("fd00:15::5");
        f.put("ipv6-neighbor-solicitation-for-gateway", bytes(dev.vnet.dataplane.testing.Frames6
                .neighborSolicitation(H1, h1v6, gwv6)));
        f.put("ipv6-echo-to-gateway", bytes(dev.vnet.dataplane.testing.Frames6.echoRequest(GW1, H1, h1v6, gwv6, 9, 1,
                new byte[16])));
        byte[] rs = new byte[16];
        rs[0] = (byte) 133;
        rs[8] = 1;
        rs[9] = 1;
        f.put("ipv6-router-solicitation-from-h1", bytes(dev.vnet.dataplane.testing.Frames6.icmp6(0x3333_0000_0002L, H1,
                dev.vnet.dataplane.wire.Ipv6Address.linkLocal(H1), dev.vnet.dataplane.wire.Ipv6Address.parse("ff02::2"),
                255, rs)));
        // IPv6 through the router: routed, through NAT66 (fd00:15::/64 masqueraded out of br2), a port forward on
        // br2's address, hop limit 1.
        dev.vnet.dataplane.wire.Ipv6Address h3v6 = dev.vnet.dataplane.wire.Ipv6Address.parse("fd00:16::3");
        dev.vnet.dataplane.wire.Ipv6Address gw2v6 = dev.vnet.dataplane.wire.Ipv6Address.parse("fd00:16::5");
        f.put("ipv6-udp-masquerade", bytes(dev.vnet.dataplane.testing.Frames6.udp(GW1, H1, h1v6, h3v6, 40010, 53,
                new byte[24])));
        f.put("ipv6-tcp-syn-masquerade", bytes(dev.vnet.dataplane.testing.Frames6.tcp(GW1, H1, h1v6, h3v6, 40011, 80,
                0x02, new byte[0])));
        f.put("ipv6-udp-dnat-from-br2", bytes(dev.vnet.dataplane.testing.Frames6.udp(GW2, H3, h3v6, gw2v6, 50010,
                5353, new byte[12])));
        ByteBuf hop1 = dev.vnet.dataplane.testing.Frames6.echoRequest(GW1, H1, h1v6, h3v6, 11, 1, new byte[16]);
        hop1.setByte(Ethernet.HEADER_LEN + dev.vnet.dataplane.wire.Ipv6.HOP_LIMIT, 1);
        f.put("ipv6-hop-limit-1", bytes(hop1));
        return f;
    }

    /** A TCPv4 super-frame of 3 segments behind its virtio-net header: a TSO frame from a namespace. */
    static byte[] superFrame() {
        byte[] frame = bytes(FrameBuilder.tcp(GW1, H1, H1_IP, LAN_IP, 40004, 80, 0x18, new byte[3000]));
        long offload = Offload.of(Offload.NEEDS_CSUM, Offload.GSO_TCPV4, Ethernet.HEADER_LEN + 40, 1000,
                Ethernet.HEADER_LEN + Ipv4.MIN_HEADER_LEN, 16);
        byte[] out = new byte[Offload.HEADER_LEN + frame.length];
        ByteBuf header = io.netty.buffer.Unpooled.buffer(Offload.HEADER_LEN);
        header.writerIndex(Offload.HEADER_LEN);
        Offload.write(header, 0, offload);
        header.getBytes(0, out, 0, Offload.HEADER_LEN);
        header.release();
        System.arraycopy(frame, 0, out, Offload.HEADER_LEN, frame.length);
        return out;
    }

    /**
     * The super-frame {@code frame} cut into VXLAN datagrams of VNI 42, back to back as a coalesced read
     * ({@code UDP_GRO}) hands them over, behind the two bytes that give {@link VxlanFuzzTest} the datagram size.
     */
    static byte[] groBatch(byte[] frame, long offload) {
        ByteBuf f = io.netty.buffer.Unpooled.wrappedBuffer(frame);
        ByteBuf header = io.netty.buffer.Unpooled.buffer(dev.vnet.dataplane.wire.Vxlan.HEADER_LEN);
        dev.vnet.dataplane.wire.Vxlan.write(header, 0, 42);
        int headers = dev.vnet.dataplane.wire.SoftwareOffload.headerLength(f, 0, frame.length, offload);
        int mss = Offload.gsoSize(offload);
        int size = dev.vnet.dataplane.wire.Vxlan.HEADER_LEN + headers + mss;
        ByteBuf out = io.netty.buffer.Unpooled.buffer();
        out.writeShort(size - 1);
        dev.vnet.dataplane.wire.SoftwareOffload.segmentInto(f, 0, frame.length, offload, out, header, 0,
                dev.vnet.dataplane.wire.Vxlan.HEADER_LEN);
        return bytes(out);
    }

    /** Sets the IPv4 total length and flags/offset of {@code frame} and its header checksum. */
    private static void setIpv4(byte[] frame, int totalLength, int flagsOffset) {
        ByteBuf b = io.netty.buffer.Unpooled.wrappedBuffer(frame);
        b.setShort(Ethernet.HEADER_LEN + Ipv4.TOTAL_LENGTH, totalLength);
        b.setShort(Ethernet.HEADER_LEN + Ipv4.FLAGS_FRAGMENT, flagsOffset);
        Ipv4.updateChecksum(b, Ethernet.HEADER_LEN);
    }

    /** Writes every seed under {@code resources}. */
    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "src/test/resources").resolve("dev/vnet/dataplane/fuzz");
        Map<String, byte[]> frames = frames();
        Path headers = Files.createDirectories(root.resolve("WireFuzzTestInputs/headers"));
        Path scripts = Files.createDirectories(root.resolve("PipelineFuzzTestInputs/frames"));
        for (Map.Entry<String, byte[]> e : frames.entrySet()) {
            Files.write(headers.resolve(e.getKey()), e.getValue());
            ByteArrayOutputStream script = new ByteArrayOutputStream();
            int port = e.getKey().contains("forward") ? 3 : e.getKey().contains("from-br2") ? 2 : 0;
            FuzzScript.frame(script, port, e.getValue());
            Files.write(scripts.resolve(e.getKey()), script.toByteArray());
        }
        // A conversation: SYN out through MASQUERADE, time passes, the same again, an ARP storm, a super-frame.
        ByteArrayOutputStream talk = new ByteArrayOutputStream();
        FuzzScript.frame(talk, 0, frames.get("tcp-syn-masquerade"));
        FuzzScript.frame(talk, 3, frames.get("tcp-syn-port-forward"));
        FuzzScript.advance(talk, 30);
        FuzzScript.frame(talk, 0, frames.get("udp-masquerade"));
        FuzzScript.advance(talk, 127);
        for (int i = 0; i < 4; i++) {
            FuzzScript.frame(talk, i & 1, frames.get("arp-request-for-gateway"));
        }
        byte[] sf = superFrame();
        long offload = Offload.read(io.netty.buffer.Unpooled.wrappedBuffer(sf, 0, Offload.HEADER_LEN), 0);
        byte[] frame = java.util.Arrays.copyOfRange(sf, Offload.HEADER_LEN, sf.length);
        FuzzScript.frame(talk, 0, frame, offload);
        Files.write(scripts.resolve("conversation"), talk.toByteArray());
        // A datagram cut in two by its sender, through MASQUERADE: the first fragment finds the connection, the
        // second follows it (virtual reassembly).
        ByteArrayOutputStream fragmented = new ByteArrayOutputStream();
        byte[] whole = frames.get("udp-over-uplink-mtu");
        int at = 800;
        int ipLength = whole.length - Ethernet.HEADER_LEN;
        byte[] first = java.util.Arrays.copyOf(whole, Ethernet.HEADER_LEN + Ipv4.MIN_HEADER_LEN + at);
        setIpv4(first, Ipv4.MIN_HEADER_LEN + at, Ipv4.FLAG_MF);
        byte[] second = new byte[whole.length - at];
        System.arraycopy(whole, 0, second, 0, Ethernet.HEADER_LEN + Ipv4.MIN_HEADER_LEN);
        System.arraycopy(whole, Ethernet.HEADER_LEN + Ipv4.MIN_HEADER_LEN + at, second,
                Ethernet.HEADER_LEN + Ipv4.MIN_HEADER_LEN, ipLength - Ipv4.MIN_HEADER_LEN - at);
        setIpv4(second, ipLength - at, at / 8);
        FuzzScript.frame(fragmented, 0, first);
        FuzzScript.frame(fragmented, 0, second);
        Files.write(scripts.resolve("fragmented-datagram"), fragmented.toByteArray());
        // The same datagram, its second fragment first: it waits for the first, then follows it.
        ByteArrayOutputStream reversed = new ByteArrayOutputStream();
        FuzzScript.frame(reversed, 0, second);
        FuzzScript.frame(reversed, 0, first);
        Files.write(scripts.resolve("fragmented-datagram-reversed"), reversed.toByteArray());
        Path offloads = Files.createDirectories(root.resolve("WireFuzzTestInputs/softwareOffload"));
        Files.write(offloads.resolve("tcp-super-frame"), sf);
        Path batches = Files.createDirectories(root.resolve("VxlanFuzzTestInputs/groBatch"));
        Files.write(batches.resolve("tcp-segments-vni-42"), groBatch(frame, offload));
        byte[] two = groBatch(frame, offload);
        two[2 + 6] = 43; // the first datagram on another VNI: the rest still join
        Files.write(batches.resolve("tcp-segments-two-vnis"), two);
        System.out.println("seeds written under " + root);
    }
}
