package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.wire.Ipv4;
import dev.vnet.dataplane.wire.Ipv4Options;
import io.netty.buffer.ByteBuf;

/**
 * What the router writes into record route and timestamp options (RFC 791 section 3.1), by the kernel's rules
 * (ip_options_compile, ip_forward_options, ip_options_echo): a packet it forwards records the address of the
 * interface it leaves by; a packet to the router records the address it was sent to, and an echo reply carries the
 * request's record route and timestamp options with the router's entries once more, as the kernel's does, so
 * {@code ping -R} and {@code ping -T} show the router. Only for headers {@link Ipv4Options#check} found sound.
 */
final class IpOptionStamps {
    /** {@link #stamp} result bit: the record route option had room and got an address. */
    static final int ROUTE_RECORDED = 1;
    /** {@link #stamp} result bit: the timestamp option had room and got a timestamp. */
    static final int TIME_RECORDED = 2;

    private static final int MILLIS_PER_DAY = 86_400_000;

    private IpOptionStamps() {
    }

    /** RFC 791's timestamp: milliseconds since midnight UT, from wall-clock milliseconds. */
    static int timestamp(long wallMillis) {
        return (int) Math.floorMod(wallMillis, (long) MILLIS_PER_DAY);
    }

    /**
     * Stamps the options of the header at {@code ip} as a router receiving or forwarding it: record route gets
     * {@code address}; a timestamp option gets {@code time} (after {@code address} when it asks for addresses, or
     * when its next prespecified address is one of the router's); a full timestamp option counts the router in its
     * overflow; what follows an end-of-list option is cleared. The header checksum is recomputed.
     *
     * @return {@link #ROUTE_RECORDED} and {@link #TIME_RECORDED} bits
     */
    static int stamp(ByteBuf buf, int ip, int address, int time, RouterTables router) {
        int stamped = 0;
        int end = ip + Ipv4.headerLength(buf, ip);
        int at = Ipv4Options.next(buf, ip + Ipv4.MIN_HEADER_LEN, end);
        while (at >= 0) {
            int type = buf.getUnsignedByte(at);
            int length = Ipv4Options.length(buf, at, end); // checked: never 0
            if (type == Ipv4Options.RECORD_ROUTE && recordRoute(buf, at, length, address)) {
                stamped |= ROUTE_RECORDED;
            } else if (type == Ipv4Options.TIMESTAMP) {
                stamped |= timestamp(buf, at, length, address, time, router, true) ? TIME_RECORDED : 0;
            }
            at = Ipv4Options.next(buf, at + length, end);
        }
        int stop = ~at; // an end-of-list option, or the header's end: what follows it is cleared
        buf.setZero(stop, end - stop);
        Ipv4.updateChecksum(buf, ip);
        return stamped;
    }

    private static boolean recordRoute(ByteBuf buf, int at, int length, int address) {
        int pointer = buf.getUnsignedByte(at + 2);
        if (pointer > length) {
            return false; // full: forwarded as it is
        }
        buf.setInt(at + pointer - 1, address);
        buf.setByte(at + 2, pointer + 4);
        return true;
    }

    /** One router's entry in the timestamp option at {@code at}; false when none was due or there was no room. */
    private static boolean timestamp(ByteBuf buf, int at, int length, int address, int time, RouterTables router,
                                     boolean countOverflow) {
        int pointer = buf.getUnsignedByte(at + 2);
        int flags = buf.getUnsignedByte(at + 3);
        int flag = flags & 0x0F;
        if (pointer > length) {
            if (countOverflow && flag != Ipv4Options.TS_PRESPECIFIED) {
                buf.setByte(at + 3, (flags & 0x0F) | (((flags >>> 4) + 1) << 4)); // checked: below fifteen
            }
            return false;
        }
        switch (flag) {
            case Ipv4Options.TS_ONLY -> {
                buf.setInt(at + pointer - 1, time);
                buf.setByte(at + 2, pointer + 4);
            }
            case Ipv4Options.TS_AND_ADDRESS -> {
                buf.setInt(at + pointer - 1, address);
                buf.setInt(at + pointer + 3, time);
                buf.setByte(at + 2, pointer + 8);
            }
            case Ipv4Options.TS_PRESPECIFIED -> {
                if (!router.isLocal(buf.getInt(at + pointer - 1))) {
                    return false; // another router's turn
                }
                buf.setInt(at + pointer + 3, time);
                buf.setByte(at + 2, pointer + 8);
            }
            default -> {
                return false; // a flag the kernel does not know: left alone
            }
        }
        return true;
    }

    /**
     * Length of the options of an echo reply to the request at {@code ip}: its record route and timestamp options,
     * padded to whole words.
     */
    static int echoLength(ByteBuf request, int ip) {
        int rr = Ipv4Options.find(request, ip, Ipv4Options.RECORD_ROUTE);
        int ts = Ipv4Options.find(request, ip, Ipv4Options.TIMESTAMP);
        int length = (rr < 0 ? 0 : request.getUnsignedByte(rr + 1)) + (ts < 0 ? 0 : request.getUnsignedByte(ts + 1));
        return (length + 3) & ~3;
    }

    /**
     * Writes the options of an echo reply at {@code to} in {@code out} ({@link #echoLength} bytes): the request's
     * record route and timestamp options (already {@link #stamp stamped} on receipt, with {@code stamped} its
     * result), each stamped again with {@code address} where it was on receipt, then end-of-list padding.
     *
     * @return false when an option has room left but not for the entry due, where the kernel sends no reply
     */
    static boolean writeEcho(ByteBuf request, int ip, int stamped, ByteBuf out, int to, int address, int time,
                             RouterTables router) {
        int at = to;
        int rr = Ipv4Options.find(request, ip, Ipv4Options.RECORD_ROUTE);
        if (rr >= 0) {
            int length = request.getUnsignedByte(rr + 1);
            out.setBytes(at, request, rr, length);
            int pointer = out.getUnsignedByte(at + 2);
            if ((stamped & ROUTE_RECORDED) != 0 && pointer <= length) {
                if (pointer + 3 > length) {
                    return false;
                }
                recordRoute(out, at, length, address);
            }
            at += length;
        }
        int ts = Ipv4Options.find(request, ip, Ipv4Options.TIMESTAMP);
        if (ts >= 0) {
            int length = request.getUnsignedByte(ts + 1);
            out.setBytes(at, request, ts, length);
            int pointer = out.getUnsignedByte(at + 2);
            if ((stamped & TIME_RECORDED) != 0 && pointer <= length) {
                int flag = out.getUnsignedByte(at + 3) & 0x0F;
                if (pointer + (flag == Ipv4Options.TS_AND_ADDRESS ? 7 : 3) > length) {
                    return false;
                }
                if (flag != Ipv4Options.TS_PRESPECIFIED || pointer + 7 <= length) {
                    timestamp(out, at, length, address, time, router, false);
                }
            }
            at += length;
        }
        int written = at - to;
        out.setZero(at, ((written + 3) & ~3) - written); // end-of-list padding to a whole word: echoLength in all
        return true;
    }
}
