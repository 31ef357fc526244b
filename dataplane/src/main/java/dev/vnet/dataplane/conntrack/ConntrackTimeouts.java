package dev.vnet.dataplane.conntrack;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How long an idle connection is kept, per protocol and TCP state: netfilter's {@code nf_conntrack_*_timeout*}
 * sysctls under names a topology file uses ({@code tcp-established}, {@code udp}, {@code udp-stream}, {@code icmp},
 * {@code generic}, ...). Immutable; {@link #with} gives a changed copy. Read per packet, so the values are kept in a flat array.
 */
public final class ConntrackTimeouts {
    /** The longest timeout accepted, in seconds (the kernel accepts more; a year is plenty). */
    public static final long MAX_SECONDS = 365L * 24 * 3600;

    private static final int UDP = TcpState.values().length;
    private static final int UDP_STREAM = UDP + 1;
    private static final int ICMP = UDP + 2;
    private static final int GENERIC = UDP + 3;
    private static final List<String> NAMES;

    static {
        List<String> names = new ArrayList<>();
        for (TcpState s : TcpState.values()) {
            names.add("tcp-" + s.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        names.add("udp");
        names.add("udp-stream");
        names.add("icmp");
        names.add("generic");
        NAMES = Collections.unmodifiableList(names);
    }

    private static final ConntrackTimeouts DEFAULTS = defaultTimeouts();

    private final long[] nanos;

    private ConntrackTimeouts(long[] nanos) {
        this.nanos = nanos;
    }

    private static ConntrackTimeouts defaultTimeouts() {
        long[] n = new long[NAMES.size()];
        for (TcpState s : TcpState.values()) {
            n[s.ordinal()] = s.timeoutNanos();
        }
        n[UDP] = TimeUnit.SECONDS.toNanos(30);         // nf_conntrack_udp_timeout
        n[UDP_STREAM] = TimeUnit.SECONDS.toNanos(120); // nf_conntrack_udp_timeout_stream
        n[ICMP] = TimeUnit.SECONDS.toNanos(30);        // nf_conntrack_icmp_timeout
        n[GENERIC] = TimeUnit.SECONDS.toNanos(600);    // nf_conntrack_generic_timeout
        return new ConntrackTimeouts(n);
    }

    /** The kernel's defaults. */
    public static ConntrackTimeouts defaults() {
        return DEFAULTS;
    }

    /** Every timeout name, in a fixed order: the TCP states, then udp, udp-stream, icmp, generic. */
    public static List<String> names() {
        return NAMES;
    }

    /** A copy with timeout {@code name} set to {@code seconds}; the message names a bad name or value. */
    public ConntrackTimeouts with(String name, long seconds) {
        int i = NAMES.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("unknown timeout '" + name + "' (known: " + String.join(", ", NAMES)
                    + ")");
        }
        if (seconds < 1 || seconds > MAX_SECONDS) {
            throw new IllegalArgumentException("timeout " + name + " " + seconds + " s is outside 1.." + MAX_SECONDS);
        }
        long[] n = nanos.clone();
        n[i] = TimeUnit.SECONDS.toNanos(seconds);
        return new ConntrackTimeouts(n);
    }

    /** Timeout of a TCP connection in state {@code s}. */
    public long tcp(TcpState s) {
        return nanos[s.ordinal()];
    }

    /** Timeout of a UDP flow: {@code replied} is true once the other side answered (a stream). */
    public long udp(boolean replied) {
        return nanos[replied ? UDP_STREAM : UDP];
    }

    /** Timeout of an ICMP query exchange (echo, timestamp, ...). */
    public long icmp() {
        return nanos[ICMP];
    }

    /** Timeout of a flow of a protocol without ports (GRE, ESP, SCTP, ...), tracked by addresses alone. */
    public long generic() {
        return nanos[GENERIC];
    }

    /** Every timeout in seconds, by name. */
    public Map<String, Long> seconds() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < NAMES.size(); i++) {
            out.put(NAMES.get(i), TimeUnit.NANOSECONDS.toSeconds(nanos[i]));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConntrackTimeouts t && java.util.Arrays.equals(nanos, t.nanos);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(nanos);
    }

    @Override
    public String toString() {
        return seconds().toString();
    }
}
