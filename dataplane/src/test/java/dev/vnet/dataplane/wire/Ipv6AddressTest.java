package dev.vnet.dataplane.wire;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** IPv6 addresses read in every RFC 4291 form and written in RFC 5952's canonical one; prefixes. */
class Ipv6AddressTest {
    @Test
    void textFormsReadAndTheCanonicalFormIsWritten() {
        String[][] cases = {
                {"2001:db8::1", "2001:db8::1"},
                {"2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
                {"::", "::"},
                {"::1", "::1"},
                {"fe80::", "fe80::"},
                {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"}, // the longest run of zeros goes
                {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}, // of two equal runs, the first
                {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, // a single zero group stays
                {"::ffff:192.0.2.1", "::ffff:c000:201"},
                {"fd00:15::5", "fd00:15::5"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], Ipv6Address.parse(c[0]).toString(), c[0]);
            assertEquals(Ipv6Address.parse(c[0]), Ipv6Address.parse(c[1]), c[0]);
        }
        for (String bad : new String[] {"", "1.2.3.4", "2001:db8::1::2", "2001:db8:1:2:3:4:5:6:7", "12345::",
                "2001:db8:::1", "g::1", "1:2:3:4:5:6:7"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv6Address.parse(bad),
                    bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), "the message names the text: " + e.getMessage());
        }
    }

    @Test
    void aLinkLocalAddressIsTheMacsModifiedEui64() {
        assertEquals("fe80::ff:fe00:a01", Ipv6Address.linkLocal(MacAddr.parse("02:00:00:00:0a:01")).toString(),
                "what the kernel gave 02:00:00:00:0a:01 (wire/ipv6/kernel.pcap)");
        assertEquals("fe80::200:5eff:fe00:5301", Ipv6Address.linkLocal(MacAddr.parse("00:00:5e:00:53:01")).toString());
    }

    @Test
    void prefixesContainTheirAddresses() {
        Ipv6Cidr p = Ipv6Cidr.parse("fd00:15::5/64");
        assertEquals("fd00:15::5/64", p.toString());
        Ipv6Address in = Ipv6Address.parse("fd00:15::ffff");
        Ipv6Address out = Ipv6Address.parse("fd00:16::5");
        assertTrue(p.contains(in.hi(), in.lo()));
        assertFalse(p.contains(out.hi(), out.lo()));
        Ipv6Cidr host = Ipv6Cidr.parse("2001:db8::1/128");
        assertTrue(host.contains(0x2001_0db8_0000_0000L, 1));
        assertFalse(host.contains(0x2001_0db8_0000_0000L, 2));
        assertTrue(Ipv6Cidr.parse("::/0").contains(-1, -1));
        assertThrows(IllegalArgumentException.class, () -> Ipv6Cidr.parse("fd00::1/129"));
        assertThrows(IllegalArgumentException.class, () -> Ipv6Cidr.parse("fd00::1"));
    }
}
