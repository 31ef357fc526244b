package dev.vnet.dataplane.l2;

import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6;
import dev.vnet.dataplane.wire.Ndp;
import io.netty.buffer.ByteBuf;

/**
 * RA guard (RFC 6105), part of a bridge's input ({@link BridgeInput}): a router advertisement from a tenant's port is
 * dropped ({@code ra-guard}), so a namespace cannot advertise itself as everyone's router; the router's port and VXLAN
 * tunnels are trusted ({@link dev.vnet.dataplane.port.Port#tenant}). Only a packet that could be an advertisement is
 * looked into: IPv6 from a link-local source with hop limit 255 (RFC 4861 6.1.2); one of those whose ICMPv6 header
 * cannot be found in it (a fragment, or an extension chain the walk refuses) is dropped too, as RFC 7113 advises, since
 * it could hide one. Everything else goes on untouched.
 */
final class RaGuard {
    private RaGuard() {
    }

    /** True when {@code frame} came from a tenant and is, or could hide, a router advertisement. */
    static boolean refuses(Frame frame) {
        return frame.inPort() != null && frame.inPort().tenant() && couldBeAdvertisement(frame);
    }

    private static boolean couldBeAdvertisement(Frame frame) {
        ByteBuf buf = frame.buf();
        int start = frame.start();
        if (Ethernet.payloadType(buf, start) != Ethernet.TYPE_IPV6) {
            return false;
        }
        int ip = start + Ethernet.headerLength(buf, start);
        if (Ipv6.check(buf, ip, start + frame.length() - ip) != null || Ipv6.hopLimit(buf, ip) != Ndp.HOP_LIMIT
                || !Ipv6.isLinkLocal(Ipv6.srcHi(buf, ip))) {
            return false;
        }
        long walk = Ipv6.walk(buf, ip);
        if (Ipv6.refused(walk) || Ipv6.isFragment(walk)) {
            return true;
        }
        int icmp = ip + Ipv6.upperOffset(walk);
        return Ipv6.upperProtocol(walk) == Ipv6.NH_ICMPV6 && icmp < ip + Ipv6.HEADER_LEN + Ipv6.payloadLength(buf, ip)
                && Icmp6.type(buf, icmp) == Icmp6.TYPE_ROUTER_ADVERTISEMENT;
    }
}
