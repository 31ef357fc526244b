package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.pipeline.Frame;
import dev.vnet.dataplane.pipeline.Stage;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Options;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.SoftwareOffload;
import io.netty.buffer.ByteBuf;

/**
 * After NAT, a packet {@link MtuCheck} found too big for the egress MTU, without DF (it answered the others), is cut
 * into fragments, each sent on its own, as the kernel fragments in ip_output after POSTROUTING, so
 * every fragment carries the translated addresses. Fragments copy the whole header; in all but the first, options
 * not marked "copied" become no-ops.
 */
final class Fragmenter extends Stage {
    private final RouterTables tables;
    private final LocalOutput localOutput;

    /** Cuts packets; the fragments are routed again from {@code localOutput}, as packets the router sends. */
    Fragmenter(RouterTables tables, LocalOutput localOutput) {
        this.tables = tables;
        this.localOutput = localOutput;
    }

    @Override
    protected Stage process(Frame frame) {
        ByteBuf buf = frame.buf();
        int ip = frame.l3Offset();
        RouterInterface out = tables.iface(frame.outInterface());
        if (Offload.needsChecksum(frame.offload())) {
            // Fragments cannot carry an offload: the checksum covers the whole datagram, so finish it first.
            SoftwareOffload.completeChecksum(buf, frame.start(), frame.length(), frame.offload());
        }
        int fragments = fragment(frame, buf, ip, out);
        if (frame.traced()) {
            frame.note("cut into " + fragments + " fragments for " + out.name() + "'s MTU " + out.mtu());
        }
        return frame.local(); // the original is released; its fragments go on
    }

    private int fragment(Frame frame, ByteBuf buf, int ip, RouterInterface out) {
        int headerLength = Ipv4.headerLength(buf, ip);
        int payload = Ipv4.totalLength(buf, ip) - headerLength;
        int chunk = (out.mtu() - headerLength) & ~7;
        int flags = Ipv4.flagsFragment(buf, ip);
        int baseOffset = flags & Ipv4.FRAGMENT_OFFSET_MASK;
        boolean moreAfterThis = (flags & Ipv4.FLAG_MF) != 0;
        int count = 0;
        for (int at = 0; at < payload; at += chunk) {
            int length = Math.min(chunk, payload - at);
            ByteBuf f = frame.allocate(Ethernet.HEADER_LEN + headerLength + length);
            f.writeBytes(buf, frame.start(), Ethernet.HEADER_LEN);
            f.writeBytes(buf, ip, headerLength);
            f.writeBytes(buf, ip + headerLength + at, length);
            int fip = Ethernet.HEADER_LEN;
            boolean more = at + length < payload || moreAfterThis;
            f.setShort(fip + Ipv4.TOTAL_LENGTH, headerLength + length);
            f.setShort(fip + Ipv4.FLAGS_FRAGMENT, (more ? Ipv4.FLAG_MF : 0) | (baseOffset + at / 8));
            if (at > 0 && baseOffset == 0 && headerLength > Ipv4.MIN_HEADER_LEN) {
                // Options not marked "copied" (record route, timestamp) go in the first fragment only (RFC 791);
                // in the others they become no-ops, the header keeping its length, as the kernel's
                // ip_options_fragment. A packet that was a later fragment already had them removed.
                Ipv4Options.clearUncopied(f, fip);
            }
            Ipv4.updateChecksum(f, fip);
            frame.inject(out.port(), localOutput, f);
            count++;
        }
        return count;
    }
}
