package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;

/**
 * Ethernet II header view (IEEE 802.3 with EtherType), recognising one 802.1Q or 802.1ad tag.
 *
 * <p>All accessors take the buffer and the absolute index of the frame's first byte. {@link #check} is called once per
 * frame; after it passes, the destination, source and EtherType accessors read within the frame.
 * The bridge forwards tagged frames unchanged (like a bridge without VLAN filtering); {@link #payloadType} and
 * {@link #headerLength} let L3 stages see through the tag.
 */
public final class Ethernet {
    /** Offset of the destination MAC. */
    public static final int DST = 0;
    /** Offset of the source MAC. */
    public static final int SRC = 6;
    /** Offset of the EtherType (or the tag protocol identifier of a tagged frame). */
    public static final int TYPE = 12;
    /** Length of an untagged header. */
    public static final int HEADER_LEN = 14;
    /** Offset of the tag control information in a tagged frame. */
    public static final int VLAN_TCI = 14;
    /** Offset of the inner EtherType in a tagged frame. */
    public static final int VLAN_INNER_TYPE = 16;
    /** Length of a header with one tag. */
    public static final int VLAN_HEADER_LEN = 18;
    /** Minimum frame size on the wire without FCS; the kernel's TAP frames may be shorter (no padding). */
    public static final int MIN_WIRE_FRAME = 60;

    /** EtherType IPv4. */
    public static final int TYPE_IPV4 = 0x0800;
    /** EtherType ARP. */
    public static final int TYPE_ARP = 0x0806;
    /** Tag protocol identifier of an 802.1Q customer VLAN tag. */
    public static final int TYPE_VLAN = 0x8100;
    /** Tag protocol identifier of an 802.1ad service tag. */
    public static final int TYPE_QINQ = 0x88A8;
    /** EtherType IPv6 (forwarded at L2 only). */
    public static final int TYPE_IPV6 = 0x86DD;

    private Ethernet() {
    }

    /** Validates the header of a frame of {@code length} bytes; null when it is sound, else why it is not. */
    public static DropReason check(ByteBuf buf, int frame, int length) {
        if (length < HEADER_LEN) {
            return DropReason.RUNT;
        }
        if (isTagged(buf, frame) && length < VLAN_HEADER_LEN) {
            return DropReason.TRUNCATED_VLAN;
        }
        return null;
    }

    /**
     * Validates the header and that the source is a station (not a group address, not zero), as IEEE 802.1D requires
     * before a frame is learned from, forwarded or routed; null when sound.
     */
    public static DropReason checkFromStation(ByteBuf buf, int frame, int length) {
        DropReason bad = check(buf, frame, length);
        if (bad != null) {
            return bad;
        }
        long src = src(buf, frame);
        if (MacAddr.isGroup(src)) {
            return DropReason.SRC_MAC_MULTICAST;
        }
        return src == 0 ? DropReason.SRC_MAC_ZERO : null;
    }

    /** Destination MAC. */
    public static long dst(ByteBuf buf, int frame) {
        return MacAddr.get(buf, frame + DST);
    }

    /** Source MAC. */
    public static long src(ByteBuf buf, int frame) {
        return MacAddr.get(buf, frame + SRC);
    }

    /** Sets the destination MAC. */
    public static void setDst(ByteBuf buf, int frame, long mac) {
        MacAddr.set(buf, frame + DST, mac);
    }

    /** Sets the source MAC. */
    public static void setSrc(ByteBuf buf, int frame, long mac) {
        MacAddr.set(buf, frame + SRC, mac);
    }

    /** Sets both MACs: one 8-byte and one 4-byte write instead of two of each. */
    public static void setAddresses(ByteBuf buf, int frame, long dst, long src) {
        buf.setLong(frame + DST, dst << 16 | src >>> 32);
        buf.setInt(frame + SRC + 2, (int) src);
    }

    /** The outer EtherType field (the TPID when tagged). */
    public static int type(ByteBuf buf, int frame) {
        return buf.getUnsignedShort(frame + TYPE);
    }

    /** Sets the outer EtherType field. */
    public static void setType(ByteBuf buf, int frame, int type) {
        buf.setShort(frame + TYPE, type);
    }

    /** True when the frame carries an 802.1Q or 802.1ad tag. */
    public static boolean isTagged(ByteBuf buf, int frame) {
        int type = type(buf, frame);
        return type == TYPE_VLAN || type == TYPE_QINQ;
    }

    /** VLAN id (12 bits) of a tagged frame. */
    public static int vlanId(ByteBuf buf, int frame) {
        return buf.getUnsignedShort(frame + VLAN_TCI) & 0x0FFF;
    }

    /** The EtherType of the payload: the inner one of a tagged frame. */
    public static int payloadType(ByteBuf buf, int frame) {
        return isTagged(buf, frame) ? buf.getUnsignedShort(frame + VLAN_INNER_TYPE) : type(buf, frame);
    }

    /** Header length: 18 with a tag, 14 without. */
    public static int headerLength(ByteBuf buf, int frame) {
        return isTagged(buf, frame) ? VLAN_HEADER_LEN : HEADER_LEN;
    }
}
