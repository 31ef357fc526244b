package dev.vnet.dataplane.l2;

import dev.vnet.dataplane.port.MemoryPort;
import dev.vnet.dataplane.port.Port;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MacTableTest {
    private static final long SEC = TimeUnit.SECONDS.toNanos(1);
    private final Port p1 = new MemoryPort(1, "p1", null);
    private final Port p2 = new MemoryPort(2, "p2", null);

    @Test
    void learnsAndLooksUp() {
        MacTable t = new MacTable(16, 300 * SEC);
        t.learn(0x020000000001L, p1, 0);
        assertSame(p1, t.lookup(0x020000000001L, 0));
        assertNull(t.lookup(0x020000000002L, 0));
        assertEquals(1, t.size());
        assertEquals(1, t.learned());
    }

    @Test
    void agesOutAfterTheAgingTimeWithoutSleeping() {
        MacTable t = new MacTable(16, 300 * SEC);
        t.learn(0x020000000001L, p1, 0);
        assertSame(p1, t.lookup(0x020000000001L, 299 * SEC));
        assertNull(t.lookup(0x020000000001L, 300 * SEC), "invisible once the aging time has passed");
        assertEquals(1, t.size(), "still held until expire runs");
        assertEquals(1, t.expire(300 * SEC));
        assertEquals(0, t.size());
        assertEquals(1, t.aged());
    }

    @Test
    void trafficRefreshesTheAge() {
        MacTable t = new MacTable(16, 300 * SEC);
        t.learn(0x020000000001L, p1, 0);
        t.learn(0x020000000001L, p1, 200 * SEC);
        assertSame(p1, t.lookup(0x020000000001L, 450 * SEC));
        assertEquals(0, t.expire(450 * SEC));
    }

    @Test
    void stationMoveFollowsTheMacAndIsCounted() {
        MacTable t = new MacTable(16, 300 * SEC);
        t.learn(0x020000000001L, p1, 0);
        t.learn(0x020000000001L, p2, SEC);
        assertSame(p2, t.lookup(0x020000000001L, SEC));
        assertEquals(1, t.moves());
        assertEquals(1, t.size());
    }

    @Test
    void boundHoldsAndIsCounted() {
        MacTable t = new MacTable(4, 300 * SEC);
        for (long mac = 1; mac <= 10; mac++) {
            t.learn(0x020000000000L + mac, p1, 0);
        }
        assertEquals(4, t.size());
        assertEquals(6, t.limitHits());
        assertNull(t.lookup(0x02000000000AL, 0), "not learned while full");
        t.expire(300 * SEC);
        t.learn(0x02000000000AL, p2, 300 * SEC);
        assertSame(p2, t.lookup(0x02000000000AL, 300 * SEC), "learns again once aging made room");
    }

    @Test
    void staticEntriesNeverAgeAndDoNotMove() {
        MacTable t = new MacTable(16, 300 * SEC);
        t.putStatic(0x020000000001L, p1);
        t.learn(0x020000000001L, p2, 10 * SEC);
        assertSame(p1, t.lookup(0x020000000001L, 10_000 * SEC));
        assertEquals(0, t.expire(10_000 * SEC));
        assertEquals(0, t.moves());
        assertTrue(t.remove(0x020000000001L));
        assertNull(t.lookup(0x020000000001L, 0));
    }

    @Test
    void removingAPortForgetsOnlyItsEntries() {
        MacTable t = new MacTable(64, 300 * SEC);
        for (long mac = 1; mac <= 40; mac++) {
            t.learn(0x020000000000L + mac, mac % 2 == 0 ? p1 : p2, 0);
        }
        assertEquals(20, t.removePort(p1));
        for (long mac = 1; mac <= 40; mac++) {
            assertEquals(mac % 2 == 0 ? null : p2, t.lookup(0x020000000000L + mac, 0));
        }
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new MacTable(0, SEC));
        assertThrows(IllegalArgumentException.class, () -> new MacTable(16, 0));
    }

    /** Random learning, aging and removal against a HashMap model: probing and backward-shift deletion stay right. */
    @Test
    void agreesWithAModelUnderChurn() {
        SplittableRandom rng = new SplittableRandom(7);
        long aging = 100 * SEC;
        MacTable t = new MacTable(256, aging);
        Map<Long, Port> ports = new HashMap<>();
        Map<Long, Long> seen = new HashMap<>();
        long now = 0;
        for (int step = 0; step < 200_000; step++) {
            long mac = 0x020000000000L + rng.nextInt(600);
            int op = rng.nextInt(10);
            if (op < 6) {
                Port p = rng.nextBoolean() ? p1 : p2;
                boolean known = seen.containsKey(mac) && now - seen.get(mac) < aging;
                boolean present = seen.containsKey(mac);
                if (present || seen.size() < 256) {
                    ports.put(mac, p);
                    seen.put(mac, now);
                }
                t.learn(mac, p, now);
                if (!known && !present && seen.size() > 256) {
                    throw new AssertionError("model over bound");
                }
            } else if (op < 8) {
                Port expected = seen.containsKey(mac) && now - seen.get(mac) < aging ? ports.get(mac) : null;
                assertSame(expected, t.lookup(mac, now), "step " + step);
            } else if (op < 9) {
                assertEquals(seen.containsKey(mac), t.remove(mac), "step " + step);
                seen.remove(mac);
                ports.remove(mac);
            } else {
                now += rng.nextInt((int) SEC * 2);
                t.expire(now);
                long cutoff = now;
                seen.entrySet().removeIf(e -> cutoff - e.getValue() >= aging);
                ports.keySet().retainAll(seen.keySet());
            }
            assertEquals(seen.size(), t.size(), "step " + step);
        }
    }
}
