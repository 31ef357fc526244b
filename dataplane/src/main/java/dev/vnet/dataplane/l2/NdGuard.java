package dev.vnet.dataplane.l2;

import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ndp;
import io.netty.buffer.ByteBuf;

import java.util.Arrays;

/**
 * Neighbour discovery inspection at a bridge's input, beside {@link RaGuard} (the ND inspection of switches that RFC
 * 6105 and RFC 7113 sit with): a neighbour advertisement from a tenant's port whose target is one of the router's own
 * IPv6 addresses on this bridge is dropped ({@code nd-spoof}), so no namespace can make the others send their traffic
 * for the gateway to itself by claiming the gateway's address (an unsolicited advertisement with the override flag
 * replaces a host's cache entry, RFC 4861 7.2.5). Addresses are those the router has here, link-local included,
 * set at the barrier; the per-frame check reads them without a lock. Only IPv6 with hop limit 255 whose ICMPv6 header
 * follows the fixed header is looked into (a neighbour advertisement behind extension headers is not valid for the
 * hosts either, RFC 6980).
 */
public final class NdGuard {
    private static final int ICMP_AT = Ipv6.HEADER_LEN;

    private volatile long[] protectedHi = new long[0];
    private volatile long[] protectedLo = new long[0];

    /** Protects {@code hi:lo}, one of the router's addresses on this bridge (at the barrier). */
    public synchronized void protect(long hi, long lo) {
        long[] h = Arrays.copyOf(protectedHi, protectedHi.length + 1);
        long[] l = Arrays.copyOf(protectedLo, protectedLo.length + 1);
        h[h.length - 1] = hi;
        l[l.length - 1] = lo;
        protectedLo = l;
        protectedHi = h;
    }

    /** True when {@code frame} came from a tenant and claims one of the protected addresses. */
    boolean refuses(Frame frame) {
        long[] los = protectedLo;
        if (los.length == 0 || frame.inPort() == null || !frame.inPort().tenant()) {
            return false;
        }
        ByteBuf buf = frame.buf();
        int start = frame.start();
        if (Ethernet.payloadType(buf, start) != Ethernet.TYPE_IPV6) {
            return false;
        }
        int ip = start + Ethernet.headerLength(buf, start);
        int end = start + frame.length();
        if (ip + ICMP_AT + Ndp.TARGET + 16 > end || Ipv6.nextHeader(buf, ip) != Ipv6.NH_ICMPV6
                || Ipv6.hopLimit(buf, ip) != Ndp.HOP_LIMIT
                || Icmp6.type(buf, ip + ICMP_AT) != Icmp6.TYPE_NEIGHBOR_ADVERTISEMENT) {
            return false;
        }
        long targetHi = Ndp.targetHi(buf, ip + ICMP_AT);
        long targetLo = Ndp.targetLo(buf, ip + ICMP_AT);
        long[] his = protectedHi;
        for (int i = 0; i < Math.min(los.length, his.length); i++) {
            if (los[i] == targetLo && his[i] == targetHi) {
                return true;
            }
        }
        return false;
    }
}
