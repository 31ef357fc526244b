package dev.vnet.dataplane.l3;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static dev.vnet.dataplane.wire.Ipv4Addr.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouteTableTest {
    private static int ifaceFor(RouteTable t, String addr) {
        int id = t.lookup(parse(addr));
        return id == RouteTable.NO_ROUTE ? -1 : t.interfaceOf(id);
    }

    @Test
    void longestPrefixWinsAmongOverlappingRoutes() {
        RouteTable t = new RouteTable();
        t.put(parse("10.0.0.0"), 8, 1, parse("192.168.1.1"));
        t.put(parse("10.1.0.0"), 16, 2, 0);
        t.put(parse("10.1.2.0"), 24, 3, 0);
        t.put(parse("10.1.2.3"), 32, 4, parse("192.168.1.9"));
        assertEquals(4, ifaceFor(t, "10.1.2.3"));
        assertEquals(3, ifaceFor(t, "10.1.2.4"));
        assertEquals(2, ifaceFor(t, "10.1.3.1"));
        assertEquals(1, ifaceFor(t, "10.200.0.1"));
        assertEquals(-1, ifaceFor(t, "11.0.0.1"), "no default route: no match");
    }

    @Test
    void findTakesTheExactPrefixNotTheLongestMatch() {
        RouteTable t = new RouteTable();
        t.put(parse("10.9.0.0"), 16, 1, parse("192.168.15.7"));
        t.put(parse("10.9.0.0"), 24, 2, parse("192.168.15.8"));
        int sixteen = t.find(parse("10.9.0.0"), 16);
        assertEquals(1, t.interfaceOf(sixteen), "the /16, though the /24 is the longest match for 10.9.0.0");
        assertEquals(16, t.lengthOf(sixteen));
        assertEquals(2, t.interfaceOf(t.find(parse("10.9.0.0"), 24)));
        assertEquals(RouteTable.NO_ROUTE, t.find(parse("10.9.0.0"), 20), "no /20 there");
        assertEquals(RouteTable.NO_ROUTE, t.find(parse("10.8.0.0"), 16));
    }

    @Test
    void defaultRouteCatchesEverythingElse() {
        RouteTable t = new RouteTable();
        t.put(0, 0, 9, parse("192.168.1.3"));
        t.put(parse("192.168.15.0"), 24, 1, 0);
        int id = t.lookup(parse("203.0.113.7"));
        assertEquals(9, t.interfaceOf(id));
        assertEquals(parse("192.168.1.3"), t.nextHop(id, parse("203.0.113.7")));
        int connected = t.lookup(parse("192.168.15.2"));
        assertEquals(parse("192.168.15.2"), t.nextHop(connected, parse("192.168.15.2")), "connected: dst is next hop");
    }

    @Test
    void hostRouteAndReplaceAndRemove() {
        RouteTable t = new RouteTable();
        t.put(parse("198.51.100.7"), 32, 1, 0);
        assertEquals(1, ifaceFor(t, "198.51.100.7"));
        assertEquals(-1, ifaceFor(t, "198.51.100.8"));
        t.put(parse("198.51.100.7"), 32, 2, 0);
        assertEquals(2, ifaceFor(t, "198.51.100.7"), "put replaces");
        assertEquals(1, t.size());
        assertTrue(t.remove(parse("198.51.100.7"), 32));
        assertFalse(t.remove(parse("198.51.100.7"), 32));
        assertEquals(-1, ifaceFor(t, "198.51.100.7"));
        assertEquals(0, t.size());
    }

    @Test
    void removingAnInterfaceRemovesItsRoutesOnly() {
        RouteTable t = new RouteTable();
        t.put(parse("192.168.15.0"), 24, 1, 0);
        t.put(parse("192.168.16.0"), 24, 2, 0);
        t.put(0, 0, 2, parse("192.168.16.1"));
        assertEquals(2, t.removeInterface(2));
        assertEquals(1, ifaceFor(t, "192.168.15.9"));
        assertEquals(-1, ifaceFor(t, "8.8.8.8"));
    }

    @Test
    void rejectsHostBitsAndTheBound() {
        RouteTable t = new RouteTable(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.put(parse("192.168.15.1"), 24, 1, 0));
        assertEquals("route 192.168.15.1/24 has host bits set (did you mean 192.168.15.0/24?)", e.getMessage());
        t.put(parse("192.168.15.0"), 24, 1, 0);
        t.put(parse("192.168.16.0"), 24, 1, 0);
        assertThrows(IllegalStateException.class, () -> t.put(parse("192.168.17.0"), 24, 1, 0));
    }

    /** Random routes and lookups against a linear scan: the table agrees on every answer. */
    @Test
    void agreesWithALinearScan() {
        SplittableRandom rng = new SplittableRandom(3);
        RouteTable t = new RouteTable();
        List<int[]> routes = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            int length = rng.nextInt(33);
            int net = rng.nextInt() & dev.vnet.dataplane.wire.Ipv4Addr.mask(length);
            t.put(net, length, i, 0);
            routes.removeIf(r -> r[0] == net && r[1] == length);
            routes.add(new int[] {net, length, i});
            if (i % 7 == 0) {
                int[] victim = routes.remove(rng.nextInt(routes.size()));
                assertTrue(t.remove(victim[0], victim[1]));
            }
        }
        assertEquals(routes.size(), t.size());
        for (int q = 0; q < 20_000; q++) {
            int addr = q % 2 == 0 ? rng.nextInt() : routes.get(rng.nextInt(routes.size()))[0] ^ rng.nextInt(256);
            int best = -1;
            int bestLength = -1;
            for (int[] r : routes) {
                if (r[1] > bestLength && (addr & dev.vnet.dataplane.wire.Ipv4Addr.mask(r[1])) == r[0]) {
                    best = r[2];
                    bestLength = r[1];
                }
            }
            int id = t.lookup(addr);
            assertEquals(best, id == RouteTable.NO_ROUTE ? -1 : t.interfaceOf(id), "lookup " + addr);
        }
    }

    /**
     * Hinted lookups through a few shared slots (so slots change hands between destinations) agree with the plain
     * lookup after every change, across more changes than a hint's version counts (it wraps at 128).
     */
    @Test
    void hintedLookupsAgreeWithTheTableThroughEveryChange() {
        SplittableRandom rng = new SplittableRandom(5);
        RouteTable t = new RouteTable(RouteTable.DEFAULT_MAX_ROUTES, 8);
        int[] destinations = new int[32];
        for (int i = 0; i < destinations.length; i++) {
            destinations[i] = parse("10.0.0.0") | rng.nextInt(1 << 16);
        }
        List<int[]> routes = new ArrayList<>();
        for (int change = 0; change < 600; change++) {
            if (routes.isEmpty() || rng.nextInt(3) > 0) {
                int length = 8 + rng.nextInt(25);
                int net = destinations[rng.nextInt(destinations.length)]
                        & dev.vnet.dataplane.wire.Ipv4Addr.mask(length);
                t.put(net, length, change, 0);
                routes.add(new int[] {net, length});
            } else {
                int[] victim = routes.remove(rng.nextInt(routes.size()));
                t.remove(victim[0], victim[1]);
            }
            for (int q = 0; q < 64; q++) {
                int dst = destinations[rng.nextInt(destinations.length)];
                int slot = rng.nextInt(8);
                int hinted = t.lookup(dst, slot);
                int plain = t.lookup(dst);
                assertEquals(plain == RouteTable.NO_ROUTE ? -1 : t.interfaceOf(plain),
                        hinted == RouteTable.NO_ROUTE ? -1 : t.interfaceOf(hinted),
                        "change " + change + ", lookup " + q);
                assertEquals(hinted, t.lookup(dst, slot), "the hint gives what the lookup gave");
            }
        }
    }

    @Test
    void aHintGivesWayToAMoreSpecificRoute() {
        RouteTable t = new RouteTable();
        t.put(0, 0, 1, parse("192.168.1.3"));
        int dst = parse("198.51.100.7");
        assertEquals(1, t.interfaceOf(t.lookup(dst, 42)));
        assertEquals(1, t.interfaceOf(t.lookup(dst, 42)), "now from the hint");
        t.put(parse("198.51.100.0"), 24, 2, parse("192.168.16.3"));
        assertEquals(2, t.interfaceOf(t.lookup(dst, 42)), "the table changed: the hint is stale");
        assertEquals(1, t.interfaceOf(t.lookup(parse("203.0.113.1"), 42)), "another destination in the same slot");
        assertTrue(t.remove(parse("198.51.100.0"), 24));
        assertEquals(1, t.interfaceOf(t.lookup(dst, 42)));
    }

    /** A hint's version is 7 bits: after exactly 128 changes it would read as current, so the hints are cleared. */
    @Test
    void aHintFrom128ChangesAgoIsNotTaken() {
        RouteTable t = new RouteTable();
        t.put(0, 0, 1, parse("192.168.1.3"));
        int dst = parse("198.51.100.7");
        assertEquals(1, t.interfaceOf(t.lookup(dst, 42)));
        t.put(parse("198.51.100.0"), 24, 2, parse("192.168.16.3"));
        for (int change = 1; change < 128; change++) {
            t.put(parse("203.0.113.0"), 24, 3, 0); // a route elsewhere, replaced 127 times
        }
        assertEquals(2, t.interfaceOf(t.lookup(dst, 42)));
    }
}
