package dev.vnet.dataplane.trace;

import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.MacAddr;

/**
 * One line describing a frame the way tcpdump does ({@code IP 192.168.15.1.40000 > 192.168.1.3.80: tcp [S] len 0},
 * {@code IP6 fd00:15::1 > fd00:15::5: icmp6 echo request id 7 seq 1, hlim 64}), from its bytes alone. Never throws on a
 * short or malformed frame: it says what it could read.
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
        if (type == 0x86dd) {
            return ipv6(f, length);
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

    /**
     * An IPv6 packet, as tcpdump prints it ({@code IP6 fd00:15::1 > fd00:15::5: icmp6 echo request id 7 seq 1, hlim
     * 64}), its extension headers skipped (at most 8) within the bytes there are: a summary sees the first 128 bytes
     * of a frame, where {@link dev.vnet.dataplane.wire.Ipv6#walk} wants the whole packet its header announces.
     */
    private static String ipv6(byte[] f, int length) {
        int ip = 14;
        if (length < ip + 40) {
            return "IP6 truncated (" + length + " bytes)";
        }
        String src = new Ipv6Address(u64(f, ip + 8), u64(f, ip + 16)).toString();
        String dst = new Ipv6Address(u64(f, ip + 24), u64(f, ip + 32)).toString();
        String hlim = ", hlim " + (f[ip + 7] & 0xff);
        int next = f[ip + 6] & 0xff;
        int at = ip + 40;
        String frag = "";
        for (int n = 0; n < 8 && (next == 0 || next == 43 || next == 44 || next == 60) && at + 8 <= length; n++) {
            if (next == 44) {
                int offset = u16(f, at + 2) & 0xfff8;
                frag = " (frag offset " + offset + ((f[at + 3] & 1) != 0 ? ", more" : "") + ")";
                if (offset != 0) {
                    return "IP6 " + src + " > " + dst + ": next header " + (f[at] & 0xff) + frag + hlim;
                }
            }
            int size = next == 44 ? 8 : ((f[at + 1] & 0xff) + 1) * 8;
            next = f[at] & 0xff;
            at += size;
        }
        String head = "IP6 " + src + " > " + dst + ": ";
        if (next == 58 && length >= at + 4) {
            return head + "icmp6 " + icmp6(f, at, length) + frag + hlim;
        }
        if (next == 6 && length >= at + 20) {
            int payload = ip + 40 + u16(f, ip + 4) - at - ((f[at + 12] >> 4) & 0x0f) * 4;
            return "IP6 " + src + "." + u16(f, at) + " > " + dst + "." + u16(f, at + 2) + ": tcp ["
                    + tcpFlags(f[at + 13] & 0xff) + "] len " + Math.max(payload, 0) + frag + hlim;
        }
        if (next == 17 && length >= at + 8) {
            return "IP6 " + src + "." + u16(f, at) + " > " + dst + "." + u16(f, at + 2) + ": udp len "
                    + Math.max(u16(f, at + 4) - 8, 0) + frag + hlim;
        }
        return head + "next header " + next + ", payload length " + u16(f, ip + 4) + frag + hlim;
    }

    private static String icmp6(byte[] f, int at, int length) {
        int t = f[at] & 0xff;
        boolean target = length >= at + 24;
        String tgt = target ? new Ipv6Address(u64(f, at + 8), u64(f, at + 16)).toString() : "?";
        return switch (t) {
            case 128, 129 -> (t == 128 ? "echo request" : "echo reply")
                    + (length >= at + 8 ? " id " + u16(f, at + 4) + " seq " + u16(f, at + 6) : "");
            case 133 -> "router solicitation";
            case 134 -> "router advertisement" + (length >= at + 8 ? ", lifetime " + u16(f, at + 6) + " s" : "");
            case 135 -> "neighbor solicitation, who has " + tgt;
            case 136 -> "neighbor advertisement, tgt is " + tgt;
            case 1 -> "unreachable code " + (f[at + 1] & 0xff);
            case 2 -> "packet too big" + (length >= at + 8 ? ", mtu " + (u32(f, at + 4) & 0xffffffffL) : "");
            case 3 -> "time exceeded";
            case 4 -> "parameter problem code " + (f[at + 1] & 0xff);
            case 143 -> "multicast listener report v2";
            default -> "type " + t + " code " + (f[at + 1] & 0xff);
        };
    }

    private static long u64(byte[] f, int at) {
        return (long) u32(f, at) << 32 | (u32(f, at + 4) & 0xffffffffL);
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
