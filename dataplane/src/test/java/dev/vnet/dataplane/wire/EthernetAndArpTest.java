package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.testing.FrameBuilder;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EthernetAndArpTest {
    @Test
    void parsesAnArpRequest() {
        ByteBuf f = FrameBuilder.hex(WireVectors.ARP_REQUEST);
        try {
            assertNull(Ethernet.check(f, 0, f.readableBytes()));
            assertEquals(MacAddr.BROADCAST, Ethernet.dst(f, 0));
            assertEquals(MacAddr.parse("02:00:00:00:00:01"), Ethernet.src(f, 0));
            assertEquals(Ethernet.TYPE_ARP, Ethernet.payloadType(f, 0));
            assertEquals(14, Ethernet.headerLength(f, 0));
            assertNull(Arp.check(f, 14, f.readableBytes() - 14));
            assertEquals(Arp.OP_REQUEST, Arp.operation(f, 14));
            assertEquals(Ipv4Addr.parse("192.168.15.1"), Arp.senderIp(f, 14));
            assertEquals(Ipv4Addr.parse("192.168.15.2"), Arp.targetIp(f, 14));
            assertEquals(MacAddr.parse("02:00:00:00:00:01"), Arp.senderMac(f, 14));
        } finally {
            f.release();
        }
    }

    @Test
    void constructsTheSameArpRequest() {
        ByteBuf built = FrameBuilder.arpRequest(MacAddr.parse("02:00:00:00:00:01"), Ipv4Addr.parse("192.168.15.1"),
                Ipv4Addr.parse("192.168.15.2"));
        ByteBuf known = FrameBuilder.hex(WireVectors.ARP_REQUEST);
        try {
            assertEquals(known, built);
        } finally {
            built.release();
            known.release();
        }
    }

    @Test
    void setsBothAddressesAndNothingElse() {
        ByteBuf f = FrameBuilder.hex("aaaaaa" + "111111111111" + "222222222222" + "0800" + "bbbb");
        ByteBuf expected = FrameBuilder.hex("aaaaaa" + "02000000000b" + "0abcdef01234" + "0800" + "bbbb");
        try {
            Ethernet.setAddresses(f, 3, MacAddr.parse("02:00:00:00:00:0b"), MacAddr.parse("0a:bc:de:f0:12:34"));
            assertEquals(expected, f);
        } finally {
            f.release();
            expected.release();
        }
    }

    @Test
    void rejectsRuntsAndTruncatedTags() {
        ByteBuf runt = FrameBuilder.hex("ffffffffffff0200000000010806"); // 14 bytes: a header, no payload
        ByteBuf tagged = FrameBuilder.hex("ffffffffffff020000000001810000"); // tag with no room for TCI + type
        try {
            assertEquals(DropReason.RUNT, Ethernet.check(runt, 0, 13));
            assertNull(Ethernet.check(runt, 0, 14));
            assertEquals(DropReason.TRUNCATED_VLAN, Ethernet.check(tagged, 0, tagged.readableBytes()));
        } finally {
            runt.release();
            tagged.release();
        }
    }

    @Test
    void seesThroughAVlanTag() {
        ByteBuf f = FrameBuilder.hex("ffffffffffff020000000001" + "8100" + "a064" + "0800" + "4500");
        try {
            assertNull(Ethernet.check(f, 0, f.readableBytes()));
            assertTrue(Ethernet.isTagged(f, 0));
            assertEquals(100, Ethernet.vlanId(f, 0));
            assertEquals(Ethernet.TYPE_IPV4, Ethernet.payloadType(f, 0));
            assertEquals(18, Ethernet.headerLength(f, 0));
        } finally {
            f.release();
        }
    }

    @Test
    void rejectsArpOfOtherKindsAndShortArp() {
        ByteBuf f = FrameBuilder.hex(WireVectors.ARP_REQUEST);
        try {
            assertEquals(DropReason.ARP_TRUNCATED, Arp.check(f, 14, 27));
            f.setByte(14 + Arp.HLEN, 8);
            assertEquals(DropReason.ARP_BAD_FORMAT, Arp.check(f, 14, 28));
            f.setByte(14 + Arp.HLEN, 6);
            f.setShort(14 + Arp.PTYPE, 0x86dd);
            assertEquals(DropReason.ARP_BAD_FORMAT, Arp.check(f, 14, 28));
            f.setShort(14 + Arp.PTYPE, 0x0800);
            f.setShort(14 + Arp.HTYPE, 6);
            assertEquals(DropReason.ARP_BAD_FORMAT, Arp.check(f, 14, 28));
        } finally {
            f.release();
        }
    }

    @Test
    void macAddressesParsePrintAndClassify() {
        long mac = MacAddr.parse("02:AB:cd:00:01:ff");
        assertEquals("02:ab:cd:00:01:ff", MacAddr.toString(mac));
        assertTrue(MacAddr.isLocalUnicast(mac));
        assertFalse(MacAddr.isGroup(mac));
        assertTrue(MacAddr.isGroup(MacAddr.parse("01:00:5e:00:00:01")));
        assertTrue(MacAddr.isGroup(MacAddr.BROADCAST));
        assertTrue(MacAddr.isLocalUnicast(MacAddr.random(new java.util.SplittableRandom(1))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MacAddr.parse("02:00:00:00:00"));
        assertTrue(e.getMessage().contains("02:00:00:00:00"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MacAddr.parse("02:00:00:00:00:zz"));
    }

    @Test
    void ipv4AddressesParseAndPrint() {
        assertEquals(0xC0A80F05, Ipv4Addr.parse("192.168.15.5"));
        assertEquals("192.168.15.5", Ipv4Addr.toString(0xC0A80F05));
        assertEquals(0xFFFFFF00, Ipv4Addr.mask(24));
        assertEquals(0, Ipv4Addr.mask(0));
        assertTrue(Ipv4Addr.contains(Ipv4Addr.parse("192.168.15.0"), 24, Ipv4Addr.parse("192.168.15.77")));
        assertFalse(Ipv4Addr.contains(Ipv4Addr.parse("192.168.15.0"), 24, Ipv4Addr.parse("192.168.16.1")));
        for (String bad : new String[] {"192.168.15", "192.168.15.256", "a.b.c.d", "1..2.3", "1.2.3.4.5", ""}) {
            assertThrows(IllegalArgumentException.class, () -> Ipv4Addr.parse(bad), bad);
        }
    }
}
