package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.wire.Ipv4Addr;

import java.util.concurrent.TimeUnit;

/**
 * How often the router tells one host about a better first hop (ICMP redirect), as the kernel's
 * ip_rt_send_redirect limits it per host: the first at once, each next one only after twice the wait of the one
 * before (20 ms, 40 ms, ... ), at most 9 in a row; a host that sent nothing redirectable for 20.48 s starts again.
 * So a host that ignores redirects gets 9 over about 10 s, then silence while it keeps sending. Remembers 1024 hosts
 * (direct-mapped: a host that collides with another starts afresh). Redirects are not counted against the ICMP error
 * limits ({@link IcmpRateLimit}): the kernel's icmp_ratemask leaves them out too.
 */
final class RedirectLimit {
    /** Redirects in a row to a host that keeps sending through the router anyway (ip_rt_redirect_number). */
    static final int MAX_IN_A_ROW = 9;
    /** The wait after the first redirect, doubled after each (ip_rt_redirect_load: HZ / 50). */
    static final long LOAD_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** Quiet time after which a host starts afresh (ip_rt_redirect_silence: the load shifted by 10). */
    static final long SILENCE_NANOS = LOAD_NANOS << (MAX_IN_A_ROW + 1);

    private static final int SLOT_BITS = 10;
    private static final int SLOTS = 1 << SLOT_BITS;

    private final int[] hosts = new int[SLOTS];
    private final boolean[] used = new boolean[SLOTS];
    private final int[] sent = new int[SLOTS];
    private final long[] lasts = new long[SLOTS];
    private long allowed;

    /** Redirects allowed since the start (the kernel's IcmpOutRedirects). */
    synchronized long allowed() {
        return allowed;
    }

    /** True when a redirect may go to {@code host} at {@code now} (nanoseconds); counts it when so. */
    synchronized boolean allow(int host, long now) {
        int s = Ipv4Addr.hash(host, SLOT_BITS);
        if (!used[s] || hosts[s] != host) {
            used[s] = true;
            hosts[s] = host;
            sent[s] = 0;
            lasts[s] = now;
        }
        if (now - lasts[s] > SILENCE_NANOS) {
            sent[s] = 0;
        }
        if (sent[s] >= MAX_IN_A_ROW) {
            lasts[s] = now; // still ignored: the silence starts again
            return false;
        }
        if (sent[s] == 0 || now - lasts[s] > LOAD_NANOS << sent[s]) {
            lasts[s] = now;
            sent[s]++;
            allowed++;
            return true;
        }
        return false;
    }
}
