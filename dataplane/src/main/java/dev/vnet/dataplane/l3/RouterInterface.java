package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.port.Port;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import dev.vnet.dataplane.wire.Ndp;

import java.util.Arrays;

/**
 * One interface of the router: its MAC, its addresses (IPv4; IPv6 with the link-local one from the MAC), its MTU,
 * the port it sends and receives through (its {@link RouterPort} on a bridge, or an uplink TAP), the stage frames
 * leaving by it go to (the bridge's forwarding stage, or straight out of the uplink port), and what its router
 * advertisements say and when they are due.
 */
public final class RouterInterface {
    private final int index;
    private final String name;
    private final long mac;
    private final int mtu;
    private final Port port;
    private final Stage output;
    private Stage resume;
    private dev.vnet.dataplane.l2.NdGuard ndGuard;
    private int[] addresses = new int[0];
    private int[] prefixLengths = new int[0];
    private int[] broadcasts = new int[0]; // each subnet's directed broadcast; 255.255.255.255 for a /31 or /32
    // IPv6: the link-local address from the MAC (always there, as the kernel gives every interface one), then the
    // addresses added, as high and low halves.
    private final Ipv6Address linkLocal;
    private long[] v6Hi = new long[0];
    private long[] v6Lo = new long[0];
    private Ipv6Cidr[] v6 = new Ipv6Cidr[0];
    // Router advertisements: the schedule is the router's timer's (at the barrier); the last one sent is also read and
    // set by the loop that answers a solicitation, hence atomic.
    private boolean advertises = true;
    private java.util.List<Ipv6Address> dnsServers = java.util.List.of();
    private int advertisementsSent;
    private long nextAdvertisement = Long.MIN_VALUE;
    private final java.util.concurrent.atomic.AtomicLong lastAdvertisement =
            new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE / 2);

    RouterInterface(int index, String name, long mac, int mtu, Port port, Stage output) {
        this.index = index;
        this.name = name;
        this.mac = mac;
        this.mtu = mtu;
        this.port = port;
        this.output = output;
        this.linkLocal = Ipv6Address.linkLocal(mac);
        addAddress6(new Ipv6Cidr(linkLocal, 64));
    }

    /** Index in the router's interface table (routes refer to it). */
    public int index() {
        return index;
    }

    /** Name (the bridge's, or the uplink's). */
    public String name() {
        return name;
    }

    /** The interface's MAC. */
    public long mac() {
        return mac;
    }

    /** The largest IPv4 packet sent out of it. */
    public int mtu() {
        return mtu;
    }

    /** The port frames enter and leave by. */
    public Port port() {
        return port;
    }

    /** Where frames leaving by this interface continue. */
    public Stage output() {
        return output;
    }

    /** Where a fragment held for its datagram's first fragment resumes, having come in by this interface. */
    Stage resume() {
        return resume;
    }

    void setResume(Stage stage) {
        this.resume = stage;
    }

    /** The bridge's neighbour discovery inspection, for an interface on a bridge: it protects the addresses here. */
    dev.vnet.dataplane.l2.NdGuard ndGuard() {
        return ndGuard;
    }

    void setNdGuard(dev.vnet.dataplane.l2.NdGuard guard) {
        this.ndGuard = guard;
        guard.protect(linkLocal.hi(), linkLocal.lo());
    }

    /** The first address: the source of ICMP errors sent from this interface. */
    public int primaryAddress() {
        return addresses.length == 0 ? 0 : addresses[0];
    }

    /** Addresses, in the order added. */
    public int[] addresses() {
        return addresses.clone();
    }

    /** Prefix lengths, parallel to {@link #addresses()}. */
    public int[] prefixLengths() {
        return prefixLengths.clone();
    }

    void addAddress(int address, int prefixLength) {
        addresses = Arrays.copyOf(addresses, addresses.length + 1);
        prefixLengths = Arrays.copyOf(prefixLengths, prefixLengths.length + 1);
        addresses[addresses.length - 1] = address;
        prefixLengths[prefixLengths.length - 1] = prefixLength;
        int mask = Ipv4Addr.mask(prefixLength);
        broadcasts = Arrays.copyOf(broadcasts, broadcasts.length + 1);
        broadcasts[broadcasts.length - 1] = prefixLength < 31 ? (address & mask) | ~mask : -1;
    }

    void addAddress6(Ipv6Cidr cidr) {
        v6 = Arrays.copyOf(v6, v6.length + 1);
        v6[v6.length - 1] = cidr;
        v6Hi = Arrays.copyOf(v6Hi, v6Hi.length + 1);
        v6Lo = Arrays.copyOf(v6Lo, v6Lo.length + 1);
        v6Hi[v6Hi.length - 1] = cidr.address().hi();
        v6Lo[v6Lo.length - 1] = cidr.address().lo();
    }

    /** The IPv6 link-local address (fe80:: and the modified EUI-64 of the MAC). */
    public Ipv6Address linkLocal() {
        return linkLocal;
    }

    /** IPv6 addresses, the link-local one first. */
    public java.util.List<Ipv6Cidr> addresses6() {
        return java.util.List.of(v6);
    }

    /** True when the interface sends router advertisements: it has IPv6 prefixes and they are not turned off. */
    boolean advertises() {
        return advertises && v6.length > 1;
    }

    /** Turns router advertisements on this interface on or off (at the barrier). */
    void setAdvertises(boolean on) {
        this.advertises = on;
    }

    /** The recursive DNS servers advertised (RFC 8106), none unless given. */
    java.util.List<Ipv6Address> dnsServers() {
        return dnsServers;
    }

    /** Sets the DNS servers advertised (at the barrier). */
    void setDnsServers(java.util.List<Ipv6Address> servers) {
        this.dnsServers = java.util.List.copyOf(servers);
    }

    /** The prefixes advertised: those of the addresses given (not the link-local one). */
    java.util.List<Ipv6Cidr> advertisedPrefixes() {
        return java.util.List.of(v6).subList(1, v6.length);
    }

    int advertisementsSent() {
        return advertisementsSent;
    }

    long nextAdvertisement() {
        return nextAdvertisement;
    }

    void scheduleAdvertisement(int sent, long next) {
        this.advertisementsSent = sent;
        this.nextAdvertisement = next;
    }

    java.util.concurrent.atomic.AtomicLong lastAdvertisement() {
        return lastAdvertisement;
    }

    /** True when {@code hi:lo} is inside one of this interface's IPv6 prefixes (not the link-local one). */
    public boolean onLink6(long hi, long lo) {
        return address6On(hi, lo) != null;
    }

    /** The interface's address whose prefix holds {@code hi:lo} (not the link-local one), or null. */
    Ipv6Address address6On(long hi, long lo) {
        for (int i = 1; i < v6.length; i++) {
            if (v6[i].contains(hi, lo)) {
                return v6[i].address();
            }
        }
        return null;
    }

    /** True when {@code hi:lo} is one of this interface's IPv6 addresses (link-local included). */
    public boolean hasAddress6(long hi, long lo) {
        for (int i = 0; i < v6Hi.length; i++) {
            if (v6Hi[i] == hi && v6Lo[i] == lo) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when {@code hi:lo} is a group this interface listens to: all nodes (ff02::1), all routers (ff02::2), or
     * the solicited-node group of one of its addresses.
     */
    public boolean listensTo6(long hi, long lo) {
        if (hi != 0xFF02_0000_0000_0000L) {
            return false;
        }
        if (lo == 1 || lo == 2) {
            return true;
        }
        for (long a : v6Lo) {
            if (lo == Ndp.solicitedNodeLo(a)) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code ip} is one of this interface's addresses. */
    public boolean hasAddress(int ip) {
        for (int a : addresses) {
            if (a == ip) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code ip} is on one of this interface's subnets. */
    public boolean onLink(int ip) {
        for (int i = 0; i < addresses.length; i++) {
            if (Ipv4Addr.contains(addresses[i], prefixLengths[i], ip)) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code ip} is the broadcast address of one of this interface's subnets. */
    public boolean isSubnetBroadcast(int ip) {
        if (ip == -1) {
            return false; // a /31 or /32 has no directed broadcast (RFC 3021)
        }
        for (int b : broadcasts) {
            if (b == ip) {
                return true;
            }
        }
        return false;
    }
}
