package dev.vnet.dataplane.wire;

import io.netty.buffer.ByteBuf;

/**
 * What a frame's virtio-net header says (Linux {@code include/uapi/linux/virtio_net.h}; {@code IFF_VNET_HDR} TAPs
 * read and write one in front of every frame), packed in a {@code long} that travels with the frame through the
 * pipeline. 0 is a plain frame: complete checksums, no segmentation offload.
 *
 * <p>Two things it can say. {@code NEEDS_CSUM}: the transport checksum is partial (the field holds the folded,
 * uncomplemented pseudo-header sum) and whoever sends the frame on must sum {@code [csumStart, end)} and store the
 * result at {@code csumStart + csumOffset}. A GSO type: the frame is a TCP "super-frame" of up to 64 KiB to be cut
 * into segments of {@code gsoSize} payload bytes each, headers {@code hdrLen} bytes long. Offsets count from the
 * first byte of the Ethernet header.
 *
 * <p>Layout of the long: bits 0-7 flags and GSO type ({@link #NEEDS_CSUM}, {@link #DATA_VALID}, type << 2, ECN << 5),
 * 8-23 gso size, 24-39 csum start, 40-47 csum offset, 48-63 header length.
 */
public final class Offload {
    /** Length of the virtio-net header vnet reads and writes ({@code struct virtio_net_hdr}). */
    public static final int HEADER_LEN = 10;

    /** VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum is partial. */
    public static final int NEEDS_CSUM = 0x1;
    /** VIRTIO_NET_HDR_F_DATA_VALID: the sender verified the checksum. */
    public static final int DATA_VALID = 0x2;

    /** VIRTIO_NET_HDR_GSO_NONE. */
    public static final int GSO_NONE = 0;
    /** VIRTIO_NET_HDR_GSO_TCPV4. */
    public static final int GSO_TCPV4 = 1;
    /** VIRTIO_NET_HDR_GSO_UDP (UFO, never requested by vnet). */
    public static final int GSO_UDP = 3;
    /** VIRTIO_NET_HDR_GSO_TCPV6. */
    public static final int GSO_TCPV6 = 4;
    /** VIRTIO_NET_HDR_GSO_ECN, or-ed into the type. */
    public static final int GSO_ECN = 0x80;

    /** The bits of the packed form that hold the GSO type: non-zero for a super-frame. */
    public static final long GSO_MASK = 0x7L << 2;

    private static final int VIRTIO_FLAGS = 0;
    private static final int VIRTIO_GSO_TYPE = 1;
    private static final int VIRTIO_HDR_LEN = 2;
    private static final int VIRTIO_GSO_SIZE = 4;
    private static final int VIRTIO_CSUM_START = 6;
    private static final int VIRTIO_CSUM_OFFSET = 8;

    private Offload() {
    }

    /** Packs the fields (each must fit: flags 2 bits, type 0-7, ecn, sizes and offsets as in the header). */
    public static long of(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset) {
        long low = (flags & 0x3) | ((long) (gsoType & 0x7) << 2) | ((gsoType & GSO_ECN) != 0 ? 1L << 5 : 0);
        return low | ((long) (gsoSize & 0xFFFF) << 8) | ((long) (csumStart & 0xFFFF) << 24)
                | ((long) (csumOffset & 0xFF) << 40) | ((long) (hdrLen & 0xFFFF) << 48);
    }

    /** True when the transport checksum is partial and must be completed by whoever sends the frame on. */
    public static boolean needsChecksum(long offload) {
        return (offload & NEEDS_CSUM) != 0;
    }

    /** The GSO type without the ECN bit ({@link #GSO_NONE} for a single frame). */
    public static int gsoType(long offload) {
        return (int) (offload >>> 2) & 0x7;
    }

    /** True for a super-frame that must be segmented before it leaves on a port that cannot take it. */
    public static boolean isGso(long offload) {
        return gsoType(offload) != GSO_NONE;
    }

    /** Payload bytes per segment. */
    public static int gsoSize(long offload) {
        return (int) (offload >>> 8) & 0xFFFF;
    }

    /** Where the partial checksum's range starts, from the Ethernet header. */
    public static int csumStart(long offload) {
        return (int) (offload >>> 24) & 0xFFFF;
    }

    /** Where the checksum field is, from {@link #csumStart}. */
    public static int csumOffset(long offload) {
        return (int) (offload >>> 40) & 0xFF;
    }

    /** Header bytes in front of each segment's payload (Ethernet, IP, TCP). */
    public static int hdrLen(long offload) {
        return (int) (offload >>> 48) & 0xFFFF;
    }

    /** Reads the virtio-net header at {@code index} (little-endian, as on the x86 and ARM hosts vnet runs on). */
    public static long read(ByteBuf buf, int index) {
        int type = buf.getUnsignedByte(index + VIRTIO_GSO_TYPE);
        return of(buf.getUnsignedByte(index + VIRTIO_FLAGS), type, buf.getUnsignedShortLE(index + VIRTIO_HDR_LEN),
                buf.getUnsignedShortLE(index + VIRTIO_GSO_SIZE), buf.getUnsignedShortLE(index + VIRTIO_CSUM_START),
                buf.getUnsignedShortLE(index + VIRTIO_CSUM_OFFSET));
    }

    /** Writes {@code offload} as a virtio-net header at {@code index}. */
    public static void write(ByteBuf buf, int index, long offload) {
        int type = gsoType(offload) | ((offload & (1L << 5)) != 0 ? GSO_ECN : 0);
        buf.setByte(index + VIRTIO_FLAGS, (int) (offload & 0x3));
        buf.setByte(index + VIRTIO_GSO_TYPE, type);
        buf.setShortLE(index + VIRTIO_HDR_LEN, hdrLen(offload));
        buf.setShortLE(index + VIRTIO_GSO_SIZE, gsoSize(offload));
        buf.setShortLE(index + VIRTIO_CSUM_START, csumStart(offload));
        buf.setShortLE(index + VIRTIO_CSUM_OFFSET, csumOffset(offload));
    }

    /** A readable description, for traces. */
    public static String describe(long offload) {
        if (offload == 0) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        if (needsChecksum(offload)) {
            sb.append("partial checksum at ").append(csumStart(offload)).append('+').append(csumOffset(offload));
        }
        if (isGso(offload)) {
            sb.append(sb.length() == 0 ? "" : ", ").append(gsoType(offload) == GSO_TCPV4 ? "TCPv4"
                    : gsoType(offload) == GSO_TCPV6 ? "TCPv6" : "type " + gsoType(offload))
                    .append(" super-frame, segments of ").append(gsoSize(offload)).append(" bytes");
        }
        return sb.length() == 0 ? "checksum verified" : sb.toString();
    }
}
