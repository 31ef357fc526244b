package dev.vnet.dataplane.trace;

import dev.vnet.dataplane.testing.Frames6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.Test;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** IPv6 in the one-line summaries that captures and decision traces print, as tcpdump words them. */
class FrameSummaryIpv6Test {
    private static List<String> kernel() throws Exception {
        java.net.URL url = FrameSummaryIpv6Test.class.getResource("/dev/vnet/dataplane/wire/ipv6/kernel.pcap");
        List<String> lines = new ArrayList<>();
        try (PcapHandle h = Pcaps.openOffline(Path.of(url.toURI()).toString())) {
            for (byte[] f = h.getNextRawPacket(); f != null; f = h.getNextRawPacket()) {
                lines.add(FrameSummary.of(f, f.length));
            }
        }
        return lines;
    }

    @Test
    void theKernelsNeighbourDiscoveryAndPingReadAsTcpdumpSaysThem() throws Exception {
        String all = String.join("\n", kernel());
        assertTrue(all.contains("IP6 :: > ff02::16: icmp6 multicast listener report v2, hlim 1"),
                "an MLD report behind its hop-by-hop header:\n" + all);
        assertTrue(all.contains("IP6 :: > ff02::1:ff00:a01: icmp6 neighbor solicitation, who has fe80::ff:fe00:a01, "
                + "hlim 255"), all);
        assertTrue(all.contains("IP6 2001:db8::2 > 2001:db8::1: icmp6 neighbor advertisement, tgt is 2001:db8::2, "
                + "hlim 255"), all);
        assertTrue(all.contains("IP6 fe80::ff:fe00:a01 > ff02::2: icmp6 router solicitation, hlim 255"), all);
        assertTrue(all.matches("(?s).*IP6 2001:db8::1 > 2001:db8::2: icmp6 echo request id \\d+ seq 1, hlim 64.*"),
                all);
    }

    @Test
    void anEchoACutFrameAndALaterFragmentAreSaidAsWell() {
        long mac = MacAddr.parse("02:00:00:00:00:01");
        ByteBuf echo = Frames6.echoRequest(mac + 1, mac, Ipv6Address.parse("fd00:15::1"),
                Ipv6Address.parse("fd00:15::5"), 77, 3, new byte[8]);
        byte[] f = ByteBufUtil.getBytes(echo);
        echo.release();
        assertEquals("IP6 fd00:15::1 > fd00:15::5: icmp6 echo request id 77 seq 3, hlim 64", FrameSummary.of(f,
                f.length));
        assertEquals("IP6 truncated (30 bytes)", FrameSummary.of(f, 30));
        byte[] frag = new byte[f.length + 8];
        System.arraycopy(f, 0, frag, 0, 54);
        frag[14 + 6] = 44; // a fragment header: UDP, offset 8, no more fragments
        frag[54] = 17;
        frag[57] = 8;
        assertEquals("IP6 fd00:15::1 > fd00:15::5: next header 17 (frag offset 8), hlim 64",
                FrameSummary.of(frag, frag.length));
    }
}
