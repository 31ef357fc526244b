package dev.vnet.dataplane.filter;

import dev.vnet.dataplane.wire.IpPrefix;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Cidr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the first rule a new connection's packet matches, by tuple space search (Srinivasan et al., 1999; Open vSwitch's
 * classifier): the rules are grouped by which fields they look at and how many bits of each (their "tuple": a mask),
 * and each group is a hash table of the masked values. A lookup masks the packet's fields once per group and probes
 * one table each, visiting the groups in the order of the first rule each holds and stopping once no group left can
 * hold an earlier match than the one found. Its cost follows the number of distinct masks, not the number of rules:
 * 10 000 rules that differ in their addresses and ports but not in which fields they name cost what 10 rules cost.
 *
 * <p>Port ranges are cut into aligned power-of-two blocks (at most 30 for a range of 16-bit ports), each an entry
 * under the mask of its prefix length, as Open vSwitch does for ranges. A set of two states is a wildcard, as is a
 * rule for either family.
 *
 * <p>Immutable once built: the policy builds a new classifier when its rules change and swaps it in. Nothing is
 * allocated on lookup.
 */
public final class Classifier {
    /** {@link #lookup}: no rule matches. */
    public static final int NONE = -1;

    private static final int FIELDS = 5; // meta, source high and low, destination high and low
    private static final int IN_SHIFT = 50;
    private static final int OUT_SHIFT = 38;
    private static final int PROTO_SHIFT = 30;
    private static final int STATE_SHIFT = 28;
    private static final int FORWARDED_SHIFT = 27;
    private static final long FAMILY = 1L << 63;

    private final Group[] groups;

    private Classifier(Group[] groups) {
        this.groups = groups;
    }

    /** The classifier of {@code rules}, the first one the earliest (its index is what {@link #lookup} returns). */
    public static Classifier of(List<FilterRule> rules) {
        Map<List<Long>, Group> byMask = new LinkedHashMap<>();
        for (int i = 0; i < rules.size(); i++) {
            FilterRule r = rules.get(i);
            long[] mask = new long[FIELDS];
            long[] value = new long[FIELDS];
            int family = r.family();
            if (family != 0) {
                mask[0] |= FAMILY;
                value[0] |= family == 6 ? FAMILY : 0;
            }
            exact(mask, value, r.inIface(), IN_SHIFT, 0xFFF);
            exact(mask, value, r.outIface(), OUT_SHIFT, 0xFFF);
            exact(mask, value, r.protocol(), PROTO_SHIFT, 0xFF);
            if (r.states() == FilterRule.NEW || r.states() == FilterRule.INVALID) {
                mask[0] |= 3L << STATE_SHIFT;
                value[0] |= (long) r.states() << STATE_SHIFT;
            }
            exact(mask, value, r.forwarded(), FORWARDED_SHIFT, 1);
            prefix(mask, value, r.src(), 1);
            prefix(mask, value, r.dst(), 3);
            for (int[] block : blocks(r.portLow(), r.portHigh())) {
                long[] m = mask.clone();
                long[] v = value.clone();
                long portMask = block[1] == 0 ? 0 : (0xFFFFL << (16 - block[1])) & 0xFFFF;
                m[0] |= portMask;
                v[0] |= block[0] & portMask;
                List<Long> key = Arrays.stream(m).boxed().toList();
                byMask.computeIfAbsent(key, k -> new Group(m)).add(v, i);
            }
        }
        Group[] groups = byMask.values().toArray(new Group[0]);
        Arrays.sort(groups, Comparator.comparingInt(g -> g.first));
        return new Classifier(groups);
    }

    private static void exact(long[] mask, long[] value, int field, int shift, long width) {
        if (field != FilterRule.ANY) {
            mask[0] |= width << shift;
            value[0] |= (field & width) << shift;
        }
    }

    private static void prefix(long[] mask, long[] value, IpPrefix p, int at) {
        if (p instanceof Ipv4Cidr c) {
            long m = c.prefixLength() == 0 ? 0 : (0xFFFF_FFFFL << (32 - c.prefixLength())) & 0xFFFF_FFFFL;
            mask[at + 1] = m;
            value[at + 1] = c.address() & m & 0xFFFF_FFFFL;
        } else if (p instanceof Ipv6Cidr c) {
            mask[at] = Ipv6Cidr.hiMask(c.prefixLength());
            mask[at + 1] = Ipv6Cidr.loMask(c.prefixLength());
            value[at] = c.address().hi() & mask[at];
            value[at + 1] = c.address().lo() & mask[at + 1];
        }
    }

    /** The range {@code low..high} as aligned blocks {value, prefix length over 16 bits}, in order. */
    static List<int[]> blocks(int low, int high) {
        List<int[]> out = new ArrayList<>();
        long at = low;
        while (at <= high) {
            int size = 0; // log2 of the block
            while (size < 16 && (at & ((1L << (size + 1)) - 1)) == 0 && at + (1L << (size + 1)) - 1 <= high) {
                size++;
            }
            out.add(new int[] {(int) at, 16 - size});
            at += 1L << size;
        }
        return out;
    }

    /**
     * The index of the first rule matching a new connection's packet, or {@link #NONE}: {@code v6} for IPv6 (IPv4
     * addresses in the low halves, high halves 0), the interfaces it came in and goes out by, its addresses, its
     * protocol and destination port (ICMP: its type), its state ({@link FilterRule#NEW} or
     * {@link FilterRule#INVALID}) and whether a port forward made it.
     */
    public int lookup(boolean v6, int in, int out, long srcHi, long srcLo, long dstHi, long dstLo, int protocol,
                      int port, int state, boolean forwarded) {
        long meta = (v6 ? FAMILY : 0) | (long) (in & 0xFFF) << IN_SHIFT | (long) (out & 0xFFF) << OUT_SHIFT
                | (long) (protocol & 0xFF) << PROTO_SHIFT | (long) (state & 3) << STATE_SHIFT
                | (forwarded ? 1L << FORWARDED_SHIFT : 0) | (port & 0xFFFF);
        int best = NONE;
        for (Group g : groups) {
            if (best != NONE && g.first >= best) {
                break; // every rule from here on comes after the match found
            }
            int found = g.find(meta, srcHi, srcLo, dstHi, dstLo);
            if (found != NONE && (best == NONE || found < best)) {
                best = found;
            }
        }
        return best;
    }

    /** Masks in the classifier: what a lookup's cost follows. */
    public int groups() {
        return groups.length;
    }

    /** The rules of one mask: an open-addressing table of masked values to the earliest rule with that value. */
    private static final class Group {
        private final long m0;
        private final long m1;
        private final long m2;
        private final long m3;
        private final long m4;
        private long[] keys = new long[FIELDS * 8];
        private int[] rules = filled(8);
        private int size;
        int first = Integer.MAX_VALUE;

        Group(long[] mask) {
            m0 = mask[0];
            m1 = mask[1];
            m2 = mask[2];
            m3 = mask[3];
            m4 = mask[4];
        }

        private static int[] filled(int n) {
            int[] a = new int[n];
            Arrays.fill(a, NONE);
            return a;
        }

        private static int home(long a, long b, long c, long d, long e, int tableMask) {
            long h = a * 0x9E37_79B9_7F4A_7C15L;
            h = (h ^ b) * 0xC2B2_AE3D_27D4_EB4FL;
            h = (h ^ c) * 0x1656_67B1_9E37_79F9L;
            h = (h ^ d) * 0x9E37_79B9_7F4A_7C15L;
            h = (h ^ e) * 0xC2B2_AE3D_27D4_EB4FL;
            return (int) (h ^ (h >>> 29)) & tableMask;
        }

        void add(long[] v, int rule) {
            first = Math.min(first, rule);
            int at = slot(v[0], v[1], v[2], v[3], v[4]);
            if (rules[at] != NONE) {
                rules[at] = Math.min(rules[at], rule); // the earlier rule shadows a later one with the same value
                return;
            }
            if (2 * (size + 1) > rules.length) {
                grow();
                at = slot(v[0], v[1], v[2], v[3], v[4]);
            }
            System.arraycopy(v, 0, keys, FIELDS * at, FIELDS);
            rules[at] = rule;
            size++;
        }

        /** The slot holding the value, or the empty one where it would go. */
        private int slot(long a, long b, long c, long d, long e) {
            int tableMask = rules.length - 1;
            int i = home(a, b, c, d, e, tableMask);
            while (rules[i] != NONE) {
                int k = FIELDS * i;
                if (keys[k] == a && keys[k + 1] == b && keys[k + 2] == c && keys[k + 3] == d && keys[k + 4] == e) {
                    return i;
                }
                i = (i + 1) & tableMask;
            }
            return i;
        }

        int find(long meta, long srcHi, long srcLo, long dstHi, long dstLo) {
            int i = slot(meta & m0, srcHi & m1, srcLo & m2, dstHi & m3, dstLo & m4);
            return rules[i];
        }

        private void grow() {
            long[] oldKeys = keys;
            int[] oldRules = rules;
            keys = new long[oldKeys.length * 2];
            rules = filled(oldRules.length * 2);
            for (int s = 0; s < oldRules.length; s++) {
                if (oldRules[s] != NONE) {
                    int k = FIELDS * s;
                    int at = slot(oldKeys[k], oldKeys[k + 1], oldKeys[k + 2], oldKeys[k + 3], oldKeys[k + 4]);
                    System.arraycopy(oldKeys, k, keys, FIELDS * at, FIELDS);
                    rules[at] = oldRules[s];
                }
            }
        }
    }
}
