package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.MacAddr;

/**
 * Where frames enter the router on one interface: the Ethernet header must be sound, addressed to the interface's
 * MAC or to a group, and untagged; ARP, IPv4 and IPv6 go on, anything else is dropped and counted.
 */
final class L3Input extends Stage {
    private final RouterInterface iface;
    private final boolean checkEthernet;
    private final Ipv4Input ipv4;
    private final ArpInput arp;
    private final Ipv6Input ipv6;

    /**
     * The input of {@code iface}; {@code checkEthernet} false for an interface on a bridge, whose input stage has
     * checked the Ethernet header already.
     */
    L3Input(RouterInterface iface, boolean checkEthernet, Ipv4Input ipv4, ArpInput arp, Ipv6Input ipv6) {
        this.iface = iface;
        this.checkEthernet = checkEthernet;
        this.ipv4 = ipv4;
        this.arp = arp;
        this.ipv6 = ipv6;
    }

    @Override
    protected Stage process(Frame frame) {
        if (checkEthernet) {
            DropReason bad = Ethernet.checkFromStation(frame.buf(), frame.start(), frame.length());
            if (bad != null) {
                return frame.drop(bad);
            }
        }
        long dst = Ethernet.dst(frame.buf(), frame.start());
        if (dst != iface.mac() && !MacAddr.isGroup(dst)) {
            return frame.drop(DropReason.NOT_FOR_ROUTER);
        }
        int type = Ethernet.type(frame.buf(), frame.start());
        frame.setInInterface(iface.index());
        frame.setL3Offset(frame.start() + Ethernet.HEADER_LEN);
        if (type == Ethernet.TYPE_IPV4) {
            return ipv4.run(frame);
        }
        if (type == Ethernet.TYPE_ARP) {
            return arp.run(frame);
        }
        if (type == Ethernet.TYPE_IPV6) {
            return ipv6.run(frame);
        }
        if (type == Ethernet.TYPE_VLAN || type == Ethernet.TYPE_QINQ) {
            return frame.drop(DropReason.VLAN_NOT_ROUTED);
        }
        return frame.drop(DropReason.L3_PROTOCOL_UNSUPPORTED);
    }
}
