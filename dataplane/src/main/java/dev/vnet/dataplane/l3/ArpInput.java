package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Arp;
import dev.vnet.dataplane.wire.Ethernet;
import io.netty.buffer.ByteBuf;

/**
 * ARP (RFC 826) at a router interface: a request for one of the interface's addresses is answered; the sender is
 * learned when the request is for us, and an existing entry is refreshed by any ARP from its owner (gratuitous ARP
 * included), which releases frames waiting for it. ARP claiming one of the router's own addresses is ignored, so a
 * tenant cannot take the gateway's address. Reads only: the frame may be a flood shared with other ports.
 */
final class ArpInput extends Stage {
    private final RouterTables tables;

    ArpInput(RouterTables tables) {
        this.tables = tables;
    }

    @Override
    protected Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int arp = frame.l3Offset();
        DropReason bad = Arp.check(buf, arp, frame.start() + frame.length() - arp);
        if (bad != null) {
            return frame.drop(bad);
        }
        RouterInterface iface = tables.iface(frame.inInterface());
        int senderIp = Arp.senderIp(buf, arp);
        int targetIp = Arp.targetIp(buf, arp);
        long senderMac = Arp.senderMac(buf, arp);
        if (tables.isLocal(senderIp)) {
            return frame.local(); // someone claims our address: not believed
        }
        boolean forUs = iface.hasAddress(targetIp);
        if (senderIp != 0 && iface.onLink(senderIp)) {
            tables.neighbors().confirm(senderIp, senderMac, iface.index(), frame.now(), forUs, (waiting, offload) -> {
                Ethernet.setDst(waiting, waiting.readerIndex(), senderMac);
                frame.inject(iface.port(), iface.output(), waiting, offload);
            });
        }
        if (forUs && Arp.operation(buf, arp) == Arp.OP_REQUEST) {
            ByteBuf reply = frame.allocate(Ethernet.HEADER_LEN + Arp.LENGTH);
            reply.writerIndex(Ethernet.HEADER_LEN + Arp.LENGTH);
            Ethernet.setDst(reply, 0, senderMac);
            Ethernet.setSrc(reply, 0, iface.mac());
            Ethernet.setType(reply, 0, Ethernet.TYPE_ARP);
            Arp.write(reply, Ethernet.HEADER_LEN, Arp.OP_REPLY, iface.mac(), targetIp, senderMac, senderIp);
            frame.inject(iface.port(), iface.output(), reply);
        }
        return frame.local();
    }
}
