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
}
