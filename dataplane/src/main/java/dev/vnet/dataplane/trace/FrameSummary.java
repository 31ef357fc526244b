package dev.vnet.dataplane.trace;

import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.MacAddr;

/**
 * One line describing a frame the way tcpdump does ({@code IP 192.168.15.1.40000 > 192.168.1.3.80: tcp [S] len 0}),
 * from its bytes alone. Never throws on a short or malformed frame: it says what it could read.
 */
public final class FrameSummary {
    private FrameSummary() {
    }

    /** The summary of the frame in {@code buf}'s readable bytes (its first 128 are enough). Allocates: traces only. */
    public static String of(io.netty.buffer.ByteBuf buf) {
        int n = Math.min(buf.readableBytes(), 128);
        byte[] head = new byte[n];
        buf.getBytes(buf.readerIndex(), head);
        return of(head, n);
    }

    /** The summary of the frame in {@code f[0..length)}. */
    public static String of(byte[] f, int length) {
        if (length < 14) {
            return "runt (" + length + " bytes)";
        }
        String macs = MacAddr.toString(u48(f, 6)) + " > " + MacAddr.toString(u48(f, 0));
        int type = u16(f, 12);
        if (type == 0x0806) {
            return arp(f, length);
        }
        if (type != 0x0800) {
            return macs + ", ethertype 0x" + String.format("%04x", type) + ", length " + length;
        }
        if (length < 34) {
            return "IP truncated (" + length + " bytes)";
        }
        int ip = 14;
        int ihl = (f[ip] & 0x0f) * 4;
        int total = u16(f, ip + 2);
        int proto = f[ip + 9] & 0xff;
        String src = Ipv4Addr.toString(u32(f, ip + 12));
        String dst = Ipv4Addr.toString(u32(f, ip + 16));
        int fragment = u16(f, ip + 6);
        int offset = (fragment & 0x1fff) * 8;
        boolean more = (fragment & 0x2000) != 0;
        String frag = more || offset != 0 ? " (frag offset " + offset + (more ? ", more" : "") + ")" : "";
        int l4 = ip + ihl;
        String ttl = ", ttl " + (f[ip + 8] & 0xff);
        if (offset != 0 || ihl < 20) {
            return "IP " + src + " > " + dst + ": proto " + proto + ", length " + total + frag + ttl;
        }
        if (proto == 6 && length >= l4 + 20) {
            int flags = f[l4 + 13] & 0xff;
            int payload = total - ihl - ((f[l4 + 12] >> 4) & 0x0f) * 4;
            return "IP " + src + "." + u16(f, l4) + " > " + dst + "." + u16(f, l4 + 2) + ": tcp [" + tcpFlags(flags)
                    + "] len " + Math.max(payload, 0) + frag + ttl;
        }
        if (proto == 17 && length >= l4 + 8) {
            return "IP " + src + "." + u16(f, l4) + " > " + dst + "." + u16(f, l4 + 2) + ": udp len "
                    + Math.max(u16(f, l4 + 4) - 8, 0) + frag + ttl;
        }
        if (proto == 1 && length >= l4 + 8) {
            int t = f[l4] & 0xff;
            String what = switch (t) {
                case 0 -> "echo reply id " + u16(f, l4 + 4) + " seq " + u16(f, l4 + 6);
                case 8 -> "echo request id " + u16(f, l4 + 4) + " seq " + u16(f, l4 + 6);
                case 3 -> "unreachable code " + (f[l4 + 1] & 0xff);
                case 11 -> "time exceeded";
                default -> "type " + t + " code " + (f[l4 + 1] & 0xff);
            };
            return "IP " + src + " > " + dst + ": icmp " + what + frag + ttl;
        }
        return "IP " + src + " > " + dst + ": proto " + proto + ", length " + total + frag + ttl;
    }

    private static String arp(byte[] f, int length) {
        if (length < 42) {
            return "ARP truncated (" + length + " bytes)";
        }
        int op = u16(f, 20);
        String sender = Ipv4Addr.toString(u32(f, 28));
        String target = Ipv4Addr.toString(u32(f, 38));
        if (op == 1) {
            return "ARP who-has " + target + " tell " + sender;
        }
        if (op == 2) {
            return "ARP " + sender + " is-at " + MacAddr.toString(u48(f, 22));
        }
        return "ARP op " + op + " " + sender + " > " + target;
    }

    private static String tcpFlags(int flags) {
        StringBuilder sb = new StringBuilder();
        if ((flags & 0x02) != 0) {
            sb.append('S');
        }
        if ((flags & 0x01) != 0) {
            sb.append('F');
        }
        if ((flags & 0x04) != 0) {
            sb.append('R');
        }
        if ((flags & 0x08) != 0) {
            sb.append('P');
        }
        if ((flags & 0x10) != 0) {
            sb.append('.');
        }
        return sb.toString();
    }

    private static int u16(byte[] f, int at) {
        return (f[at] & 0xff) << 8 | (f[at + 1] & 0xff);
    }

    private static int u32(byte[] f, int at) {
        return u16(f, at) << 16 | u16(f, at + 2);
    }

    private static long u48(byte[] f, int at) {
        return (long) u16(f, at) << 32 | (u32(f, at + 2) & 0xffffffffL);
    }
}
