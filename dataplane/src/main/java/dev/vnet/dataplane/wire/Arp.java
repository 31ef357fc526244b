package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;

/**
 * ARP for IPv4 over Ethernet (RFC 826): the 28-byte packet after the Ethernet header.
 * {@link #check} accepts only hardware type 1, protocol 0x0800, sizes 6 and 4; then every accessor is in bounds.
 */
public final class Arp {
    /** Offset of the hardware type. */
    public static final int HTYPE = 0;
    /** Offset of the protocol type. */
    public static final int PTYPE = 2;
    /** Offset of the hardware address length. */
    public static final int HLEN = 4;
    /** Offset of the protocol address length. */
    public static final int PLEN = 5;
    /** Offset of the operation. */
    public static final int OPER = 6;
    /** Offset of the sender hardware address. */
    public static final int SHA = 8;
    /** Offset of the sender protocol address. */
    public static final int SPA = 14;
    /** Offset of the target hardware address. */
    public static final int THA = 18;
    /** Offset of the target protocol address. */
    public static final int TPA = 24;
    /** Length of an IPv4-over-Ethernet ARP packet. */
    public static final int LENGTH = 28;

    /** Hardware type Ethernet. */
    public static final int HTYPE_ETHERNET = 1;
    /** Operation: request. */
    public static final int OP_REQUEST = 1;
    /** Operation: reply. */
    public static final int OP_REPLY = 2;

    private Arp() {
    }

    /** Validates the packet at {@code arp} with {@code available} bytes; null when sound. */
    public static DropReason check(ByteBuf buf, int arp, int available) {
        if (available < LENGTH) {
            return DropReason.ARP_TRUNCATED;
        }
        if (buf.getUnsignedShort(arp + HTYPE) != HTYPE_ETHERNET
                || buf.getUnsignedShort(arp + PTYPE) != Ethernet.TYPE_IPV4
                || buf.getUnsignedByte(arp + HLEN) != MacAddr.LENGTH
                || buf.getUnsignedByte(arp + PLEN) != 4) {
            return DropReason.ARP_BAD_FORMAT;
        }
        return null;
    }

    /** Operation (1 request, 2 reply). */
    public static int operation(ByteBuf buf, int arp) {
        return buf.getUnsignedShort(arp + OPER);
    }

    /** Sender hardware address. */
    public static long senderMac(ByteBuf buf, int arp) {
        return MacAddr.get(buf, arp + SHA);
    }

    /** Sender protocol address. */
    public static int senderIp(ByteBuf buf, int arp) {
        return buf.getInt(arp + SPA);
    }

    /** Target hardware address. */
    public static long targetMac(ByteBuf buf, int arp) {
        return MacAddr.get(buf, arp + THA);
    }

    /** Target protocol address. */
    public static int targetIp(ByteBuf buf, int arp) {
        return buf.getInt(arp + TPA);
    }

    /** Writes a complete IPv4-over-Ethernet ARP packet at {@code arp}. */
    public static void write(ByteBuf buf, int arp, int operation, long senderMac, int senderIp, long targetMac, int targetIp) {
        buf.setShort(arp + HTYPE, HTYPE_ETHERNET);
        buf.setShort(arp + PTYPE, Ethernet.TYPE_IPV4);
        buf.setByte(arp + HLEN, MacAddr.LENGTH);
        buf.setByte(arp + PLEN, 4);
        buf.setShort(arp + OPER, operation);
        MacAddr.set(buf, arp + SHA, senderMac);
        buf.setInt(arp + SPA, senderIp);
        MacAddr.set(buf, arp + THA, targetMac);
        buf.setInt(arp + TPA, targetIp);
    }
}
