package dev.vnet.dataplane.filter;

import dev.vnet.dataplane.wire.IpPrefix;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tuple-space classifier against the plain definition: on random rules and random packets it finds the same first
 * matching rule as a walk of the list with {@link FilterRule#matches}; ports cut into blocks cover exactly the range.
 */
class ClassifierTest {
    private static final int[] PROTOCOLS = {6, 17, 1, 58};

    /** The first rule of {@code rules} matching, walked in order. */
    private static int walk(List<FilterRule> rules, boolean v6, int in, int out, long sh, long sl, long dh, long dl,
                            int proto, int port, int state, boolean fwd) {
        for (int i = 0; i < rules.size(); i++) {
            if (rules.get(i).matches(v6, in, out, sh, sl, dh, dl, proto, port, state, fwd)) {
                return i;
            }
        }
        return Classifier.NONE;
    }

    /** An address near a few bases, so prefixes and packets overlap often. */
    private static long[] address(SplittableRandom r, boolean v6) {
        if (!v6) {
            return new long[] {0, (0xC0A8_0000L | r.nextInt(4) << 8 | r.nextInt(8)) & 0xFFFF_FFFFL};
        }
        return new long[] {0xFD00_0015_0000_0000L | r.nextInt(3), r.nextInt(8)};
    }

    private static IpPrefix prefix(SplittableRandom r, boolean v6) {
        long[] a = address(r, v6);
        if (!v6) {
            return new Ipv4Cidr((int) a[1], 16 + r.nextInt(17));
        }
        return new Ipv6Cidr(new Ipv6Address(a[0], a[1]), 48 + r.nextInt(81));
    }

    private static FilterRule randomRule(SplittableRandom r, int index) {
        boolean v6 = r.nextBoolean();
        IpPrefix src = r.nextInt(3) == 0 ? prefix(r, v6) : null;
        IpPrefix dst = r.nextInt(3) == 0 ? prefix(r, v6) : null;
        int low = r.nextInt(4) == 0 ? 0 : r.nextInt(70);
        int high = low == 0 && r.nextBoolean() ? 65535 : low + r.nextInt(40);
        return new FilterRule(index, r.nextInt(3) == 0 ? r.nextInt(3) : FilterRule.ANY,
                r.nextInt(3) == 0 ? r.nextInt(3) : FilterRule.ANY, src, dst,
                r.nextInt(2) == 0 ? PROTOCOLS[r.nextInt(4)] : FilterRule.ANY, low, high, r.nextInt(4),
                r.nextInt(3) == 0 ? r.nextInt(2) : FilterRule.ANY, FilterRule.Action.values()[r.nextInt(3)]);
    }

    @Test
    void findsTheSameFirstRuleAsAWalkOfTheList() {
        SplittableRandom r = new SplittableRandom(24);
        int matched = 0;
        for (int round = 0; round < 40; round++) {
            List<FilterRule> rules = new ArrayList<>();
            int n = 1 + r.nextInt(200);
            for (int i = 0; i < n; i++) {
                rules.add(randomRule(r, i));
            }
            Classifier c = Classifier.of(rules);
            for (int p = 0; p < 2000; p++) {
                boolean v6 = r.nextBoolean();
                long[] s = address(r, v6);
                long[] d = address(r, v6);
                int in = r.nextInt(3);
                int out = r.nextInt(3);
                int proto = PROTOCOLS[r.nextInt(4)];
                int port = r.nextInt(110);
                int state = 1 + r.nextInt(2);
                boolean fwd = r.nextBoolean();
                int expected = walk(rules, v6, in, out, s[0], s[1], d[0], d[1], proto, port, state, fwd);
                assertEquals(expected, c.lookup(v6, in, out, s[0], s[1], d[0], d[1], proto, port, state, fwd),
                        "round " + round + " packet " + p);
                matched += expected != Classifier.NONE ? 1 : 0;
            }
        }
        assertTrue(matched > 8_000, "the random packets hit rules often enough to test something: " + matched);
    }

    @Test
    void portBlocksCoverExactlyTheRange() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 500; i++) {
            int low = r.nextInt(65536);
            int high = low + r.nextInt(65536 - low);
            long covered = 0;
            int next = low;
            for (int[] b : Classifier.blocks(low, high)) {
                assertEquals(next, b[0], "blocks are contiguous");
                int size = 1 << (16 - b[1]);
                assertEquals(0, b[0] % size, "a block is aligned");
                next += size;
                covered += size;
            }
            assertEquals(high - low + 1, covered, low + "-" + high);
            assertTrue(Classifier.blocks(low, high).size() <= 30);
        }
        assertEquals(1, Classifier.blocks(0, 65535).size(), "all ports: one wildcard block");
    }

    @Test
    void tenThousandRulesThatDifferOnlyInValuesMakeOneGroup() {
        List<FilterRule> rules = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            rules.add(new FilterRule(i, FilterRule.ANY, FilterRule.ANY, null,
                    new Ipv4Cidr(0x0A00_0000 | i << 8, 24), 6, 22, 22, 0, FilterRule.ANY, FilterRule.Action.DROP));
        }
        Classifier c = Classifier.of(rules);
        assertEquals(1, c.groups(), "one mask: a lookup is one probe whatever the count");
        assertEquals(4321, c.lookup(false, 0, 1, 0, 0xC0A8_0101L, 0, 0x0A00_0000L | 4321 << 8 | 9, 6, 22, 1, false));
        assertEquals(Classifier.NONE, c.lookup(false, 0, 1, 0, 0xC0A8_0101L, 0, 0x0A00_0000L | 4321 << 8, 6, 23, 1,
                false));
    }
}
