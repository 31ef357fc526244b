package dev.vnet.dataplane;

/**
 * Why the dataplane dropped a frame. Every drop names one of these and moves the per-port counter of that name;
 * {@link #label()} is the name users see in counters, traces and logs.
 */
public enum DropReason {
    /** Shorter than an Ethernet header (14 bytes). */
    RUNT("runt"),
    /** Larger than the port's read buffer: the kernel offered more than the MTU allows. */
    OVERSIZE("oversize"),
    /** An 802.1Q/802.1ad tag with no room for the tag and the inner EtherType. */
    TRUNCATED_VLAN("truncated-vlan"),
    /** Source MAC is a group (multicast or broadcast) address: no station sends from one. */
    SRC_MAC_MULTICAST("src-mac-multicast"),
    /** Source MAC is all zeros. */
    SRC_MAC_ZERO("src-mac-zero"),
    /** ARP packet shorter than its 28-byte IPv4-over-Ethernet form. */
    ARP_TRUNCATED("arp-truncated"),
    /** ARP with a hardware/protocol type or address size other than Ethernet/IPv4 (1/0x0800/6/4). */
    ARP_BAD_FORMAT("arp-bad-format"),
    /** Fewer than 20 bytes where an IPv4 header should be. */
    IPV4_TRUNCATED("ipv4-truncated"),
    /** IP version field is not 4. */
    IPV4_BAD_VERSION("ipv4-bad-version"),
    /** Header length (IHL) below 5 words or beyond the packet. */
    IPV4_BAD_IHL("ipv4-bad-ihl"),
    /** Total length smaller than the header or larger than the frame holds. */
    IPV4_BAD_LENGTH("ipv4-bad-length"),
    /** IPv4 header checksum does not verify. */
    IPV4_BAD_CHECKSUM("ipv4-bad-checksum"),
    /** IPv4 options malformed by the kernel's rules (answered with ICMP parameter problem). */
    IPV4_BAD_OPTIONS("ipv4-bad-options"),
    /** IPv4 with a loose or strict source route option, which the kernel drops unless accept_source_route is on. */
    IPV4_SOURCE_ROUTED("ipv4-source-routed"),
    /**
     * Source no host may have (multicast, broadcast, 0.0.0.0/8, 127.0.0.0/8) or one of the router's own addresses:
     * the kernel's "martian source".
     */
    IPV4_MARTIAN_SOURCE("ipv4-martian-source"),
    /** Destination in 0.0.0.0/8 or 127.0.0.0/8: the kernel's "martian destination". */
    IPV4_MARTIAN_DESTINATION("ipv4-martian-destination"),
    /** ICMP message shorter than its 8-byte header. */
    ICMP_TRUNCATED("icmp-truncated"),
    /** ICMP checksum does not verify. */
    ICMP_BAD_CHECKSUM("icmp-bad-checksum"),
    /** UDP datagram shorter than its 8-byte header. */
    UDP_TRUNCATED("udp-truncated"),
    /** UDP length field smaller than the header or larger than the IP payload. */
    UDP_BAD_LENGTH("udp-bad-length"),
    /**
     * A router advertisement from a tenant's port, dropped at the bridge so that one namespace cannot become everyone's
     * gateway (RA guard, RFC 6105); also an IPv6 packet from a tenant that could be one but hides its upper-layer
     * header (in a later fragment, or behind a chain of extension headers the walk refuses: RFC 7113).
     */
    RA_GUARD("ra-guard"),
    /**
     * A neighbour advertisement from a tenant's port claiming one of the router's own IPv6 addresses on the bridge:
     * dropped, so no namespace takes the gateway's address over in the others' neighbour caches.
     */
    ND_SPOOF("nd-spoof"),
    /** Fewer than 40 bytes where an IPv6 header should be, or an extension header cut short. */
    IPV6_TRUNCATED("ipv6-truncated"),
    /** IP version field is not 6 in a frame of EtherType 0x86DD. */
    IPV6_BAD_VERSION("ipv6-bad-version"),
    /** Payload length larger than the frame holds. */
    IPV6_BAD_LENGTH("ipv6-bad-length"),
    /**
     * An extension header a receiver must refuse (RFC 8200 section 4): hop-by-hop options anywhere but right after
     * the fixed header, or a routing header of a type not processed here with segments left.
     */
    IPV6_BAD_EXTENSION("ipv6-bad-extension"),
    /** A type 0 routing header with segments left, deprecated by RFC 5095 for the amplification it allows. */
    IPV6_ROUTING_TYPE_0("ipv6-routing-type-0"),
    /** More extension headers than any sound packet has: a chain crafted to make every router walk it. */
    IPV6_EXTENSION_CHAIN_TOO_LONG("ipv6-extension-chain-too-long"),
    /** An IPv6 source no host may have: multicast, or loopback from the wire (the kernel's ip6_rcv_core drops these). */
    IPV6_MARTIAN_SOURCE("ipv6-martian-source"),
    /**
     * An IPv6 destination no packet from the wire may have: unspecified, loopback, or a multicast group of scope 0 or
     * interface-local (RFC 4291 2.7).
     */
    IPV6_MARTIAN_DESTINATION("ipv6-martian-destination"),
    /**
     * An IPv6 packet to a link-local address (fe80::/10) that is not the router's: such an address names a host on
     * the sender's own link, and a router forwards nothing to it (RFC 4291 section 2.5.6).
     */
    IPV6_LINK_LOCAL_NOT_ROUTED("ipv6-link-local-not-routed"),
    /**
     * An IPv6 packet from a link-local source that would have to leave its link: not forwarded, and answered with
     * ICMPv6 destination unreachable, beyond scope of source address (RFC 4443 section 3.1, code 2).
     */
    IPV6_BEYOND_SCOPE("ipv6-beyond-scope"),
    /**
     * An IPv6 packet bigger than the egress MTU: routers never fragment IPv6 (RFC 8200 section 5); ICMPv6 Packet Too
     * Big with the MTU was sent, so path-MTU discovery works.
     */
    PACKET_TOO_BIG("packet-too-big"),
    /** ICMPv6 message shorter than its 4-byte header (8 with the rest of it). */
    ICMPV6_TRUNCATED("icmpv6-truncated"),
    /** ICMPv6 checksum (over the IPv6 pseudo-header and the message) does not verify. */
    ICMPV6_BAD_CHECKSUM("icmpv6-bad-checksum"),
    /**
     * A neighbour discovery message that RFC 4861's validity checks refuse: hop limit other than 255 (it came from
     * off the link), a code other than 0, too short, a multicast target, an option of length 0 or past the end.
     */
    NDP_INVALID("ndp-invalid"),
    /** A VXLAN datagram too short for its 8-byte header and an inner Ethernet header. */
    VXLAN_TRUNCATED("vxlan-truncated"),
    /**
     * A VXLAN header without the I flag (a valid VNI), or with a reserved bit set: the kernel's vxlan drops these
     * too (RFC 7348 section 5: reserved bits must be zero on send, and are ignored on receipt only by other VTEPs).
     */
    VXLAN_BAD_FLAGS("vxlan-bad-flags"),
    /** A VXLAN datagram for a VNI no bridge here extends over (the kernel drops these as well). */
    VXLAN_UNKNOWN_VNI("vxlan-unknown-vni"),
    /**
     * A VXLAN datagram from an address that is not a VTEP configured for its VNI: by default only configured VTEPs
     * may inject frames into a bridge (a tunnel is otherwise an open door into the segment).
     */
    VXLAN_UNKNOWN_VTEP("vxlan-unknown-vtep"),
    /**
     * The first datagram from a sender that is no VTEP yet of a VNI taking any source ({@code any-source}): dropped
     * while the tunnel to it is made, which carries what the sender sends next.
     */
    VXLAN_NEW_VTEP("vxlan-new-vtep"),
    /**
     * A frame too long to send through the tunnel: with 50 bytes of encapsulation it would not fit the underlay's
     * MTU, and vnet never fragments the outer packet (the kernel's vxlan drops it too). Size the inner MTU as the
     * underlay's minus 50.
     */
    VXLAN_TOO_BIG("vxlan-too-big"),
    /** TCP segment shorter than its 20-byte header. */
    TCP_TRUNCATED("tcp-truncated"),
    /** TCP data offset below 5 words or beyond the segment. */
    TCP_BAD_OFFSET("tcp-bad-offset"),
    /** The destination's learned port is the port the frame came in on (the kernel bridge drops these too). */
    SAME_PORT("same-port"),
    /** A flood found no port other than the ingress port to go to. */
    NO_OTHER_PORT("no-other-port"),
    /** The ingress port is not attached to a bridge or router. */
    PORT_UNATTACHED("port-unattached"),
    /** The egress TAP's interface is down (the kernel refuses the write with EIO), as before a namespace sets it up. */
    LINK_DOWN("link-down"),
    /** The egress port's device refused the write for another reason. */
    TX_ERROR("tx-error"),
    /** The egress port's device had no room (write returned EAGAIN). */
    TX_FULL("tx-full"),
    /** The egress port was closed while the frame was queued. */
    PORT_CLOSED("port-closed"),
    /** An offloaded frame whose virtio-net header the dataplane cannot honour in software (not a TCPv4 super-frame). */
    OFFLOAD_UNSUPPORTED("offload-unsupported"),
    /** A frame injected more than the per-frame limit of new frames (a loop guard). */
    INJECTION_LIMIT("injection-limit"),
    /** A frame reached the router with a destination MAC that is not the router's. */
    NOT_FOR_ROUTER("not-for-router"),
    /** A tagged frame reached the router, which routes untagged frames only. */
    VLAN_NOT_ROUTED("vlan-not-routed"),
    /** A frame the router does not handle (IPv6 and other EtherTypes). */
    L3_PROTOCOL_UNSUPPORTED("l3-protocol-unsupported"),
    /** An IPv4 packet unicast to another host in a link-layer broadcast: not forwarded (RFC 1812 section 5.3.4). */
    LINK_BROADCAST_NOT_ROUTED("link-broadcast-not-routed"),
    /** Time to live (IPv6: hop limit) ran out; ICMP (ICMPv6) time exceeded was sent. */
    TTL_EXCEEDED("ttl-exceeded"),
    /** No route to the destination; ICMP net unreachable (ICMPv6 no route to destination) was sent. */
    NO_ROUTE("no-route"),
    /** Too big for the egress MTU with DF set; ICMP fragmentation needed was sent. */
    FRAGMENTATION_NEEDED("fragmentation-needed"),
    /** Packets to the router for a port or protocol it does not serve; a TCP reset or ICMP unreachable was sent. */
    LOCAL_UNREACHABLE("local-unreachable"),
    /**
     * The next hop did not answer ARP (neighbour solicitations); ICMP host unreachable (ICMPv6 address unreachable)
     * was sent.
     */
    NEIGHBOR_UNRESOLVED("neighbor-unresolved"),
    /** The queue of frames waiting for the next hop's ARP reply was full. */
    NEIGHBOR_QUEUE_FULL("neighbor-queue-full"),
    /** The neighbor table was at its bound. */
    NEIGHBOR_TABLE_FULL("neighbor-table-full"),
    /** The first packet of a new connection a filtering rule (or the default policy) drops. */
    POLICY_DROP("policy-drop"),
    /**
     * The first packet of a new connection a filtering rule rejects: the sender got a TCP reset or ICMP (ICMPv6) port
     * unreachable, as from nft's reject.
     */
    POLICY_REJECT("policy-reject"),
    /** The connection table was at its bound: a new connection was refused (existing ones keep working). */
    CONNTRACK_FULL("conntrack-full"),
    /**
     * Another event loop created the same connection at the same moment (the kernel moved a flow between TAP
     * queues): this packet is dropped, the next one finds the connection (netfilter's insert clash).
     */
    CONNTRACK_CLASH("conntrack-clash"),
    /**
     * A fragment without the transport header (not the first) of a packet NAT may translate, whose datagram's
     * connection is not known (its first fragment went on untracked: ICMP that is neither a query nor an error):
     * sent on untranslated it would leak an inside address. Fragments that overtake their first wait for it instead.
     */
    FRAGMENT_NOT_TRANSLATED("fragment-not-translated"),
    /** A fragment held for its datagram's first fragment, which did not come within 2 s (or was dropped itself). */
    FRAGMENT_TIMEOUT("fragment-timeout"),
    /** A fragment that overtook its datagram's first found the hold full (128 fragments waiting already). */
    FRAGMENT_HOLD_FULL("fragment-hold-full"),
    /** Source NAT found no free port for a new connection. */
    NAT_PORTS_EXHAUSTED("nat-ports-exhausted"),
    /**
     * Source NAT of a protocol without ports (GRE, ESP, ...): another inside host already talks that protocol with
     * the same outside address through the same NAT address, and without ports the replies could not be told apart.
     */
    NAT_TUPLE_TAKEN("nat-tuple-taken"),
    /** A stage threw: a bug, but the frame is dropped and the dataplane goes on. */
    INTERNAL_ERROR("internal-error");

    private static final DropReason[] VALUES = values();

    private final String label;

    DropReason(String label) {
        this.label = label;
    }

    /** The name shown in counters and traces, e.g. {@code src-mac-multicast}. */
    public String label() {
        return label;
    }

    /** Number of reasons, for sizing per-reason counter arrays. */
    public static int count() {
        return VALUES.length;
    }

    /** The reason with this ordinal; for iterating counter arrays without allocating. */
    public static DropReason ofOrdinal(int ordinal) {
        return VALUES[ordinal];
    }
}
