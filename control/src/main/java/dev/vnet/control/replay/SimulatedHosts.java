package dev.vnet.control.replay;

import dev.vnet.dataplane.wire.Arp;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.MacAddr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hosts of a topology (namespaces, host ports, the far side of uplinks) standing in for the real ones during a
 * replay: each answers ARP for its address on its port, as its kernel would, so frames the router holds for a
 * neighbor go on. A host's MAC is the one the capture shows it using (learned before any frame is replayed), else one
 * derived from its address.
 */
final class SimulatedHosts {
    /** A host: its port, address and MAC. */
    record Host(String port, int address, long mac, boolean fromCapture) {
    }

    private final Map<Integer, String> portOf = new LinkedHashMap<>();
    private final Map<Integer, Long> seen = new HashMap<>();

    /** Notes that the capture shows {@code address} sending from {@code mac} (the first sighting wins). */
    void saw(int address, long mac) {
        seen.putIfAbsent(address, mac);
    }

    /** Adds the host at {@code address} behind {@code port}. */
    void add(String port, int address) {
        portOf.put(address, port);
    }

    /**
     * The host that answers {@code frame} (sent out of {@code port}) if it is an ARP request for a host behind that
     * port, else null.
     */
    Host answering(String port, ByteBuf frame) {
        int f = frame.readerIndex();
        if (frame.readableBytes() < Ethernet.HEADER_LEN + Arp.LENGTH
                || Ethernet.type(frame, f) != Ethernet.TYPE_ARP) {
            return null;
        }
        int arp = f + Ethernet.HEADER_LEN;
        if (Arp.operation(frame, arp) != Arp.OP_REQUEST) {
            return null;
        }
        int target = Arp.targetIp(frame, arp);
        if (!port.equals(portOf.get(target))) {
            return null;
        }
        Long mac = seen.get(target);
        return mac != null ? new Host(port, target, mac, true)
                : new Host(port, target, MacAddr.derived("host " + dev.vnet.dataplane.wire.Ipv4Addr.toString(target)),
                        false);
    }

    /** The ARP reply {@code host} sends to the asker of {@code request}. */
    static ByteBuf reply(ByteBufAllocator alloc, Host host, ByteBuf request) {
        int f = request.readerIndex();
        int arp = f + Ethernet.HEADER_LEN;
        long askerMac = Arp.senderMac(request, arp);
        int askerIp = Arp.senderIp(request, arp);
        ByteBuf out = alloc.buffer(Ethernet.MIN_WIRE_FRAME);
        out.writeZero(Ethernet.MIN_WIRE_FRAME);
        Ethernet.setDst(out, 0, askerMac);
        Ethernet.setSrc(out, 0, host.mac());
        out.setShort(Ethernet.TYPE, Ethernet.TYPE_ARP);
        Arp.write(out, Ethernet.HEADER_LEN, Arp.OP_REPLY, host.mac(), host.address(), askerMac, askerIp);
        return out;
    }
}
