package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.DropReason;
import io.netty.buffer.ByteBuf;

/**
 * The VXLAN header (RFC 7348 section 5), as a view like the other headers: eight bytes after the outer UDP header,
 * then the inner Ethernet frame.
 *
 * <pre>
 *  0                   1                   2                   3
 * |R|R|R|R|I|R|R|R|            Reserved                           |   flags: 0x08 (I: the VNI is valid)
 * |                VXLAN Network Identifier (VNI) |   Reserved    |
 * </pre>
 *
 * Checked as the kernel's vxlan_rcv checks it: the I flag set and every other flag and reserved bit zero (the kernel
 * drops the rest, where RFC 7348 lets a receiver ignore reserved bits; vnet does as the kernel, so both ends of a
 * mixed fabric agree). Sending writes exactly that: flags 0x08, every reserved bit zero.
 */
public final class Vxlan {
    /** The header's length. */
    public static final int HEADER_LEN = 8;
    /** The IANA port (RFC 7348); the kernel's own default without {@code dstport} is 8472, Linux's pre-standard one. */
    public static final int PORT = 4789;
    /** Outer Ethernet, IPv4 (no options), UDP and VXLAN headers: what encapsulation adds to an inner frame. */
    public static final int OVERHEAD_IPV4 = Ethernet.HEADER_LEN + Ipv4.MIN_HEADER_LEN + Udp.HEADER_LEN + HEADER_LEN;
    /** The largest VNI (24 bits). */
    public static final int MAX_VNI = 0xFF_FFFF;

    /**
     * The largest inner MTU (the IP MTU of the interfaces on an extended bridge) an underlay of MTU
     * {@code underlayMtu} carries: 50 bytes less, as the kernel sizes a vxlan device over its lower device.
     */
    public static int innerMtu(int underlayMtu) {
        return underlayMtu - OVERHEAD_IPV4;
    }

    /** The first word of every header vnet sends and accepts: the I flag, nothing else. */
    private static final int FLAGS_WORD = 0x0800_0000;

    private Vxlan() {
    }

    /**
     * Null when the {@code available} bytes at {@code at} hold a VXLAN header vnet accepts and at least an inner
     * Ethernet header after it; otherwise why not.
     */
    public static DropReason check(ByteBuf buf, int at, int available) {
        if (available < HEADER_LEN + Ethernet.HEADER_LEN) {
            return DropReason.VXLAN_TRUNCATED;
        }
        if (buf.getInt(at) != FLAGS_WORD || (buf.getByte(at + 7)) != 0) {
            return DropReason.VXLAN_BAD_FLAGS;
        }
        return null;
    }

    /** The VNI of the header at {@code at}. */
    public static int vni(ByteBuf buf, int at) {
        return buf.getInt(at + 4) >>> 8;
    }

    /** Writes a header for {@code vni} at {@code at}: flags 0x08, every reserved bit zero. */
    public static void write(ByteBuf buf, int at, int vni) {
        if (vni < 0 || vni > MAX_VNI) {
            throw new IllegalArgumentException("VNI " + vni + " is outside 0.." + MAX_VNI);
        }
        buf.setInt(at, FLAGS_WORD);
        buf.setInt(at + 4, vni << 8);
    }

    /**
     * The outer UDP source port for an inner flow with hash {@code hash}, within {@code low..high}: the hash scaled
     * into the range, as the kernel's udp_flow_src_port does (RFC 7348 section 5: the source port "calculated using
     * a hash of fields from the inner packet", so the underlay's ECMP spreads flows while one flow keeps one path).
     * The kernel's range is its ip_local_port_range, 32768..60999 by default.
     */
    public static int sourcePort(int hash, int low, int high) {
        if (low < 1 || high > 65535 || low > high) {
            throw new IllegalArgumentException("source port range " + low + ".." + high + " is not within 1..65535");
        }
        return (int) (((hash & 0xFFFF_FFFFL) * (high - low)) >>> 32) + low;
    }
}
