package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Icmp6;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import dev.vnet.dataplane.wire.MacAddr;
import dev.vnet.dataplane.wire.Ndp;
import io.netty.buffer.ByteBuf;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Router advertisements (RFC 4861 section 6.2) on the interfaces that have IPv6 prefixes: three at start-up 16 s apart
 * (MAX_INITIAL_RTR_ADVERTISEMENTS, MAX_INITIAL_RTR_ADVERT_INTERVAL), then one every 200 s (MinRtrAdvInterval's
 * default), and one in answer to a router solicitation at most every 3 s (MIN_DELAY_BETWEEN_RAS), all to all nodes.
 * Each carries the interface's MAC, its MTU and a prefix information option per prefix: on-link, and autonomous for a
 * /64 (RFC 4862: hosts form their addresses from it), valid 1 day and preferred 4 hours (radvd's defaults); and the
 * recursive DNS servers given, if any (RFC 8106), valid 3 advertisement intervals (600 s, its recommendation).
 *
 * <p>The router lifetime is 600 s (AdvDefaultLifetime's default, three times the interval) when the router has a
 * route out of another interface, so hosts take it for their default router; 0 when the interface's own prefixes
 * are all it reaches (a host that took it for its default router would send it packets it can only refuse). Hosts
 * take the prefixes (SLAAC) and the MTU either way.
 */
final class RouterAdvertisements {
    static final int INITIAL = 3;
    static final long INITIAL_INTERVAL = TimeUnit.SECONDS.toNanos(16);
    static final long INTERVAL = TimeUnit.SECONDS.toNanos(200);
    static final long MIN_DELAY = TimeUnit.SECONDS.toNanos(3);
    static final long VALID_SECONDS = 86_400;
    static final long PREFERRED_SECONDS = 14_400;
    static final long DNS_SECONDS = 3 * 200;
    static final int ROUTER_LIFETIME_SECONDS = 3 * 200;
    private static final long ALL_NODES_MAC = 0x3333_0000_0001L;
    private static final int RA_LEN = 16;
    private static final int PREFIX_OPTION_LEN = 32;
    private static final int CUR_HOP_LIMIT = 64;

    private RouterAdvertisements() {
    }

    /** The periodic advertisements due at {@code now} on {@code ifaces}, each handed to {@code send}. */
    static void tick(long now, List<RouterInterface> ifaces, Route6Table routes, IntFunction<ByteBuf> alloc,
                     Sender send) {
        for (RouterInterface i : ifaces) {
            if (!i.advertises() || now < i.nextAdvertisement()) {
                continue;
            }
            int sent = i.advertisementsSent();
            i.scheduleAdvertisement(sent + 1, now + (sent + 1 < INITIAL ? INITIAL_INTERVAL : INTERVAL));
            i.lastAdvertisement().set(now);
            send.send(i, build(alloc, i, routes));
        }
    }

    /** True when an advertisement may answer a solicitation on {@code i} at {@code now} (one per 3 s at most). */
    static boolean mayAnswer(RouterInterface i, long now) {
        if (!i.advertises()) {
            return false;
        }
        long last = i.lastAdvertisement().get();
        return now - last >= MIN_DELAY && i.lastAdvertisement().compareAndSet(last, now);
    }

    /** Where an advertisement goes. */
    interface Sender {
        void send(RouterInterface i, ByteBuf frame);
    }

    /** The advertisement of {@code i}, in a frame from {@code alloc}; {@code routes} say whether it is a default router. */
    static ByteBuf build(IntFunction<ByteBuf> alloc, RouterInterface i, Route6Table routes) {
        List<Ipv6Cidr> prefixes = i.advertisedPrefixes();
        List<Ipv6Address> dns = i.dnsServers();
        int dnsLen = dns.isEmpty() ? 0 : 8 + 16 * dns.size();
        int length = RA_LEN + 8 + 8 + PREFIX_OPTION_LEN * prefixes.size() + dnsLen;
        int ip = Ethernet.HEADER_LEN;
        int ra = Icmp6Frame.ICMP;
        ByteBuf f = Icmp6Frame.allocate(alloc, ALL_NODES_MAC, i.mac(), length, Ndp.HOP_LIMIT, i.linkLocal().hi(),
                i.linkLocal().lo(), 0xFF02_0000_0000_0000L, 1);
        f.setZero(ra, length);
        f.setByte(ra + Icmp6.TYPE, Icmp6.TYPE_ROUTER_ADVERTISEMENT);
        f.setByte(ra + Ndp.RA_HOP_LIMIT, CUR_HOP_LIMIT);
        if (routes.reachesBeyond(i.index())) {
            f.setShort(ra + Ndp.RA_LIFETIME, ROUTER_LIFETIME_SECONDS);
        }
        // reachable time, retransmission timer: 0 (the hosts' own timers)
        int at = ra + RA_LEN;
        f.setByte(at, Ndp.OPT_SOURCE_LINK_ADDRESS);
        f.setByte(at + 1, 1);
        MacAddr.set(f, at + 2, i.mac());
        at += 8;
        f.setByte(at, Ndp.OPT_MTU);
        f.setByte(at + 1, 1);
        f.setInt(at + 4, i.mtu());
        at += 8;
        for (Ipv6Cidr p : prefixes) {
            f.setByte(at, Ndp.OPT_PREFIX);
            f.setByte(at + 1, PREFIX_OPTION_LEN / 8);
            f.setByte(at + 2, p.prefixLength());
            f.setByte(at + 3, p.prefixLength() == 64 ? 0xC0 : 0x80); // on-link; autonomous for a /64
            f.setInt(at + 4, (int) VALID_SECONDS);
            f.setInt(at + 8, (int) PREFERRED_SECONDS);
            f.setLong(at + 16, p.network().hi());
            f.setLong(at + 24, p.network().lo());
            at += PREFIX_OPTION_LEN;
        }
        if (!dns.isEmpty()) {
            f.setByte(at, Ndp.OPT_RDNSS);
            f.setByte(at + 1, dnsLen / 8);
            f.setInt(at + 4, (int) DNS_SECONDS);
            at += 8;
            for (Ipv6Address a : dns) {
                f.setLong(at, a.hi());
                f.setLong(at + 8, a.lo());
                at += 16;
            }
        }
        Icmp6.updateChecksum(f, ip, ra, length);
        return f;
    }
}
