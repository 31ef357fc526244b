package dev.vnet.dataplane.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vnet.dataplane.trace.FrameSummary;
import dev.vnet.dataplane.trace.PcapngReader;
import dev.vnet.dataplane.trace.TupleView;
import dev.vnet.dataplane.wire.Arp;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp4;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Options;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ndp;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.SoftwareOffload;
import dev.vnet.dataplane.wire.Tcp;
import dev.vnet.dataplane.wire.Udp;
import dev.vnet.dataplane.wire.Vxlan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The wire parsers on their own, as the stages use them: a header is read only after its check passed, and a read
 * after a passing check must stay inside the frame (Netty's bounds checks turn any overrun into an exception, which
 * fails the test). Also the software offloads on any frame with any virtio-net header, and the pcapng reader on any
 * byte stream (it may refuse with an IOException, nothing else).
 */
class WireFuzzTest {
    static {
        FuzzScript.quietLeakDetectorWhileFuzzing();
    }

    @FuzzTest(maxDuration = "")
    void headers(byte[] data) {
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true);
        // Exactly the frame's bytes: capacity = length, so a read past the end throws.
        ByteBuf buf = alloc.directBuffer(data.length, data.length).writeBytes(data);
        try {
            parse(buf, data.length);
            FrameSummary.of(data, data.length);
            TupleView.of(buf);
        } finally {
            buf.release();
        }
        assertEquals(0, alloc.metric().usedDirectMemory());
    }

    /**
     * Any UDP payload as a VXLAN datagram (whatever its port: the check must hold for every byte string): a checked
     * header's VNI and inner Ethernet header are read, and stay inside the frame.
     */
    private static void vxlan(ByteBuf buf, int at, int available, int length) {
        if (Vxlan.check(buf, at, available) != null) {
            return;
        }
        int vni = Vxlan.vni(buf, at);
        assertTrue(vni >= 0 && vni <= Vxlan.MAX_VNI, "a VNI has 24 bits");
        int inner = at + Vxlan.HEADER_LEN;
        assertTrue(inner + Ethernet.HEADER_LEN <= length, "a checked header leaves a whole inner Ethernet header");
        if (Ethernet.check(buf, inner, available - Vxlan.HEADER_LEN) == null) {
            Ethernet.src(buf, inner);
            Ethernet.dst(buf, inner);
        }
    }

    /**
     * An IPv6 packet: a checked header's extension chain is walked to an upper-layer header inside the payload (or
     * refused with a pointer inside it), and a checked ICMPv6 neighbour discovery message's options are read inside
     * the message.
     */
    private static void ipv6(ByteBuf buf, int ip, int available) {
        if (Ipv6.check(buf, ip, available) != null) {
            return;
        }
        int end = Ipv6.HEADER_LEN + Ipv6.payloadLength(buf, ip);
        Ipv6.srcHi(buf, ip);
        Ipv6.dstLo(buf, ip);
        long walk = Ipv6.walk(buf, ip);
        if (Ipv6.refused(walk)) {
            boolean cut = Ipv6.reason(walk) == dev.vnet.dataplane.DropReason.IPV6_TRUNCATED;
            assertTrue(Ipv6.problemPointer(walk) < end || cut && Ipv6.problemPointer(walk) == end,
                    "a refusal points inside the packet (a header cut short may start at its end)");
            return;
        }
        int upper = Ipv6.upperOffset(walk);
        assertTrue(upper <= end, "the upper-layer header starts inside the packet: " + upper + " of " + end);
        if (Ipv6.upperProtocol(walk) != Ipv6.NH_ICMPV6 || Ipv6.isFragment(walk)) {
            return;
        }
        int icmp = ip + upper;
        int length = end - upper;
        if (Icmp6.check(buf, ip, icmp, length) != null) {
            return;
        }
        int type = Icmp6.type(buf, icmp);
        if (Ndp.isNdp(type) && Ndp.check(buf, ip, icmp, length) == null) {
            for (int option : new int[] {Ndp.OPT_SOURCE_LINK_ADDRESS, Ndp.OPT_TARGET_LINK_ADDRESS, Ndp.OPT_MTU}) {
                int at = Ndp.option(buf, icmp, length, option);
                assertTrue(at < 0 || at + buf.getUnsignedByte(at + 1) * 8 <= icmp + length, "an option fits");
                Ndp.linkLayerAddress(buf, icmp, length, option);
            }
            if (type == Icmp6.TYPE_NEIGHBOR_SOLICITATION || type == Icmp6.TYPE_NEIGHBOR_ADVERTISEMENT) {
                Ndp.targetHi(buf, icmp);
                Ndp.targetLo(buf, icmp);
            }
        }
    }

    /** Checks then reads every header the way the bridge, router and connection tracking do. */
    private static void parse(ByteBuf buf, int length) {
        if (Ethernet.check(buf, 0, length) != null) {
            return;
        }
        Ethernet.checkFromStation(buf, 0, length);
        Ethernet.dst(buf, 0);
        Ethernet.src(buf, 0);
        if (Ethernet.isTagged(buf, 0)) {
            Ethernet.vlanId(buf, 0);
        }
        int type = Ethernet.payloadType(buf, 0);
        int l3 = Ethernet.headerLength(buf, 0);
        if (type == Ethernet.TYPE_ARP && Arp.check(buf, l3, length - l3) == null) {
            Arp.operation(buf, l3);
            Arp.senderMac(buf, l3);
            Arp.senderIp(buf, l3);
            Arp.targetMac(buf, l3);
            Arp.targetIp(buf, l3);
        }
        if (type == Ethernet.TYPE_IPV6) {
            ipv6(buf, l3, length - l3);
            return;
        }
        if (type != Ethernet.TYPE_IPV4 || Ipv4.check(buf, l3, length - l3) != null) {
            return;
        }
        int headerLength = Ipv4.headerLength(buf, l3);
        int total = Ipv4.totalLength(buf, l3);
        assertTrue(total <= length - l3 && headerLength <= total, "a checked IPv4 header fits the frame");
        Ipv4.ttl(buf, l3);
        Ipv4.src(buf, l3);
        Ipv4.dst(buf, l3);
        Ipv4.dontFragment(buf, l3);
        int options = Ipv4Options.check(buf, l3);
        assertTrue(options == Ipv4Options.SOUND || options == Ipv4Options.SOURCE_ROUTED
                || (options >= Ipv4.MIN_HEADER_LEN && options < headerLength), "a bad option is within the options");
        Ipv4Options.find(buf, l3, Ipv4Options.TIMESTAMP);
        Ipv4Options.clearUncopied(buf, l3); // the options only: what follows is parsed as before
        if (Ipv4.isFragment(buf, l3) && !Ipv4.hasTransportHeader(buf, l3)) {
            return;
        }
        int l4 = l3 + headerLength;
        int available = total - headerLength;
        switch (Ipv4.protocol(buf, l3)) {
            case Ipv4.PROTO_TCP -> {
                if (Tcp.check(buf, l4, available) == null) {
                    Tcp.srcPort(buf, l4);
                    Tcp.dstPort(buf, l4);
                    Tcp.flags(buf, l4);
                    assertTrue(Tcp.headerLength(buf, l4) <= available, "a checked TCP header fits the packet");
                }
            }
            case Ipv4.PROTO_UDP -> {
                if (Udp.check(buf, l4, available) == null) {
                    Udp.srcPort(buf, l4);
                    Udp.dstPort(buf, l4);
                    assertTrue(Udp.length(buf, l4) <= available, "a checked UDP length fits the packet");
                    vxlan(buf, l4 + Udp.HEADER_LEN, Udp.length(buf, l4) - Udp.HEADER_LEN, length);
                }
            }
            case Ipv4.PROTO_ICMP -> {
                if (Icmp4.check(buf, l4, available) == null) {
                    Icmp4.type(buf, l4);
                    Icmp4.code(buf, l4);
                    Icmp4.echoId(buf, l4);
                    Icmp4.echoSeq(buf, l4);
                }
            }
            default -> {
            }
        }
    }

    @FuzzTest(maxDuration = "")
    void softwareOffload(byte[] data) {
        if (data.length < Offload.HEADER_LEN) {
            return;
        }
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true);
        ByteBuf header = alloc.directBuffer(Offload.HEADER_LEN).writeBytes(data, 0, Offload.HEADER_LEN);
        long offload = Offload.read(header, 0);
        header.release();
        Offload.describe(offload);
        int length = data.length - Offload.HEADER_LEN;
        ByteBuf frame = alloc.directBuffer(length, length).writeBytes(data, Offload.HEADER_LEN, length);
        try {
            // The pipeline offers only frames that passed the bridge's Ethernet check.
            if (Ethernet.check(frame, 0, length) != null) {
                return;
            }
            if (Offload.isGso(offload)) {
                List<ByteBuf> segments = new ArrayList<>();
                int n = SoftwareOffload.segment(frame, 0, length, offload, alloc::directBuffer, segments::add);
                assertTrue(n == -1 ? segments.isEmpty() : n == segments.size(), "segments handed out: " + n);
                assertTrue(n <= SoftwareOffload.MAX_SEGMENTS, "bounded: " + n);
                segments.forEach(ByteBuf::release);
            } else if (Offload.needsChecksum(offload)) {
                SoftwareOffload.completeChecksum(frame, 0, length, offload);
            }
        } finally {
            frame.release();
        }
        assertEquals(0, alloc.metric().usedDirectMemory(), "every buffer released");
    }

    @FuzzTest(maxDuration = "")
    void pcapng(byte[] data) {
        PcapngReader reader = new PcapngReader(new ByteArrayInputStream(data));
        try {
            for (int i = 0; i < 1000 && reader.next() != null; i++) {
                // read on: each record must parse or be refused with an IOException
            }
        } catch (IOException refused) {
            // a stream vnet did not write is refused with a message: that is the contract
        }
    }
}
