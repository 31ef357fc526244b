package dev.vnet.dataplane.wire;

/**
 * An IPv6 address as a value: its high and low 64 bits (the per-frame path reads the same two {@code long}s, see
 * {@link Ipv6}), parsed from any RFC 4291 text form and printed in RFC 5952's canonical one (lower case, the longest
 * run of two or more zero groups as {@code ::}), as {@code ip -6} prints it.
 *
 * @param hi the high 64 bits
 * @param lo the low 64 bits
 */
public record Ipv6Address(long hi, long lo) implements IpAddress {
    /** Parses an address such as {@code fd00:15::5} or {@code ::ffff:192.0.2.1}; the message names the text at fault. */
    public static Ipv6Address parse(String text) {
        String t = text.trim();
        if (t.isEmpty() || t.indexOf(':') < 0 || t.chars().anyMatch(c -> !(Character.digit(c, 16) >= 0 || c == ':'
                || c == '.'))) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address");
        }
        int[] groups = new int[8];
        String[] halves = t.split("::", -1);
        if (halves.length > 2) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address ('::' twice)");
        }
        int[] head = groups(halves[0], text);
        int[] tail = halves.length == 2 ? groups(halves[1], text) : new int[0];
        if (halves.length == 1 ? head.length != 8 : head.length + tail.length > 7) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv6 address (8 groups of 16 bits)");
        }
        System.arraycopy(head, 0, groups, 0, head.length);
        System.arraycopy(tail, 0, groups, 8 - tail.length, tail.length);
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 4; i++) {
            hi = hi << 16 | groups[i];
            lo = lo << 16 | groups[i + 4];
        }
        return new Ipv6Address(hi, lo);
    }

    /** The 16-bit groups of one side of {@code ::}, a dotted quad at the end counting as two. */
    private static int[] groups(String part, String text) {
        if (part.isEmpty()) {
            return new int[0];
        }
        String[] fields = part.split(":", -1);
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (int i = 0; i < fields.length; i++) {
            String f = fields[i];
            if (f.contains(".") && i == fields.length - 1) {
                int v4 = Ipv4Addr.parse(f);
                out.add(v4 >>> 16);
                out.add(v4 & 0xFFFF);
            } else if (f.isEmpty() || f.length() > 4 || f.contains(".")) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv6 address (group '" + f + "')");
            } else {
                out.add(Integer.parseInt(f, 16));
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The link-local address of an interface with MAC {@code mac}: fe80:: and its modified EUI-64 (RFC 4291 A). */
    public static Ipv6Address linkLocal(long mac) {
        long eui = ((mac >>> 24) << 40) | (0xFFFEL << 24) | (mac & 0xFF_FFFFL);
        return new Ipv6Address(0xFE80_0000_0000_0000L, eui ^ 0x0200_0000_0000_0000L);
    }

    /** Group {@code i} (0..7). */
    private int group(int i) {
        return (int) ((i < 4 ? hi >>> (48 - 16 * i) : lo >>> (48 - 16 * (i - 4))) & 0xFFFF);
    }

    @Override
    public String toString() {
        int bestStart = -1;
        int bestLength = 1; // RFC 5952 4.2.2: a single zero group is not shortened
        for (int i = 0; i < 8; ) {
            if (group(i) != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && group(j) == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(group(i)));
        }
        return sb.toString();
    }
}
