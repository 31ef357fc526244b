package dev.vnet.dataplane.l3;

import dev.vnet.dataplane.conntrack.FlowKey;
import dev.vnet.dataplane.wire.Ethernet;
import dev.vnet.dataplane.wire.Ipv4;
import io.netty.buffer.ByteBuf;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Reassembly of the fragmented datagrams addressed to the router itself (RFC 791, RFC 815), so that it can answer a
 * ping bigger than the link's MTU as a kernel does. Forwarded fragments are never reassembled (see
 * {@link FragmentTable}).
 *
 * <p>Bounded: at most {@link #DATAGRAMS} datagrams in progress, a new one taking the place of the oldest; each
 * copies its fragments' data into one buffer of at most 64 KiB as they come (so no fragment is held), and marks the
 * 8-byte blocks it has. A fragment that overlaps data already there, or reaches past the end its datagram's last
 * fragment gave, or gives another end, ends its datagram (the kernel discards such a datagram too, since the
 * attacks of RFC 5722); one past 65 535 bytes, or not a multiple of 8 bytes before the end, is refused. An
 * incomplete datagram is given up after {@link #LIFETIME_NANOS} (the kernel's ipfrag_time), and its sender gets an
 * ICMP "fragment reassembly time exceeded" if its first fragment came, as from the kernel. Synchronized: fragments
 * to the router are rare, and any loop may see them.
 */
final class LocalReassembly {
    /** Datagrams in progress at most. */
    static final int DATAGRAMS = 8;
    /** How long an incomplete datagram is kept (net.ipv4.ipfrag_time). */
    static final long LIFETIME_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final int MAX_PAYLOAD = 65_535 - Ipv4.MIN_HEADER_LEN;
    private static final int BLOCKS = (MAX_PAYLOAD + 7) / 8;

    private final long[] keyHi = new long[DATAGRAMS];
    private final long[] keyLo = new long[DATAGRAMS];
    private final ByteBuf[] data = new ByteBuf[DATAGRAMS];       // the payload, at its offset
    private final ByteBuf[] firstHeader = new ByteBuf[DATAGRAMS]; // Ethernet and IPv4 headers of the first fragment
    private final long[][] have = new long[DATAGRAMS][(BLOCKS + 63) / 64];
    private final int[] total = new int[DATAGRAMS];              // payload length, once the last fragment came; else -1
    private final int[] furthest = new int[DATAGRAMS];           // the furthest end of the data so far
    private final long[] started = new long[DATAGRAMS];
    private final RouterInterface[] cameBy = new RouterInterface[DATAGRAMS]; // where its first fragment came in

    /** Takes a datagram given up after its first fragment came (see {@link #expire}). */
    @FunctionalInterface
    interface GivenUp {
        /**
         * {@code quote} (owned by the callee): the first fragment's headers and start; it came in by {@code in}
         * (null if not known).
         */
        void accept(ByteBuf quote, RouterInterface in);
    }

    /**
     * Adds the fragment at {@code ip} in {@code buf} (an IPv4 packet whose header was checked, after an untagged
     * Ethernet header). Returns the whole datagram, with the Ethernet and IPv4 headers of its first fragment, when
     * this fragment completed it (the caller owns it); null otherwise. The fragment came in by {@code in}; buffers
     * come from {@code allocate}.
     */
    synchronized ByteBuf add(ByteBuf buf, int ip, long now, RouterInterface in, IntFunction<ByteBuf> allocate) {
        int headerLength = Ipv4.headerLength(buf, ip);
        int length = Ipv4.totalLength(buf, ip) - headerLength;
        int flags = Ipv4.flagsFragment(buf, ip);
        int offset = (flags & Ipv4.FRAGMENT_OFFSET_MASK) * 8;
        boolean more = (flags & Ipv4.FLAG_MF) != 0;
        if (offset + length > MAX_PAYLOAD || (more && (length & 7) != 0) || length == 0) {
            return null;
        }
        long hi = FlowKey.hi(Ipv4.src(buf, ip), Ipv4.dst(buf, ip));
        long lo = (long) Ipv4.protocol(buf, ip) << 16 | Ipv4.id(buf, ip);
        int s = find(hi, lo, now, allocate);
        int end = offset + length;
        // Overlapping data, data past the end the last fragment gave, or two different ends: the datagram is
        // given up, as the kernel's ip_frag_queue gives it up.
        if (overlaps(s, offset, length) || total[s] >= 0 && end > total[s]
                || !more && (total[s] >= 0 && total[s] != end || end < furthest[s])) {
            forget(s);
            return null;
        }
        furthest[s] = Math.max(furthest[s], end);
        mark(s, offset, length);
        data[s].setBytes(offset, buf, ip + headerLength, length);
        if (offset == 0 && firstHeader[s] == null) {
            firstHeader[s] = allocate.apply(Ethernet.HEADER_LEN + headerLength);
            firstHeader[s].writeBytes(buf, ip - Ethernet.HEADER_LEN, Ethernet.HEADER_LEN + headerLength);
            cameBy[s] = in;
        }
        if (!more) {
            total[s] = end;
        }
        if (total[s] < 0 || firstHeader[s] == null || !complete(s)) {
            return null;
        }
        ByteBuf whole = assemble(s, allocate);
        forget(s);
        return whole;
    }

    /**
     * Gives up the datagrams older than their lifetime; for each whose first fragment came, hands {@code givenUp} a
     * quote of that fragment (its headers and up to {@link IcmpErrors#MAX_QUOTE} bytes), for the ICMP "fragment
     * reassembly time exceeded" the kernel sends (RFC 792; RFC 1122 3.3.2). Run by the router's timer.
     */
    synchronized void expire(long now, IntFunction<ByteBuf> allocate, GivenUp givenUp) {
        for (int s = 0; s < DATAGRAMS; s++) {
            if (data[s] != null && now - started[s] >= LIFETIME_NANOS) {
                if (firstHeader[s] != null) {
                    givenUp.accept(quote(s, allocate), cameBy[s]);
                }
                forget(s);
            }
        }
    }

    /** The first fragment as it came, as much of it as an ICMP error quotes. */
    private ByteBuf quote(int s, IntFunction<ByteBuf> allocate) {
        ByteBuf header = firstHeader[s];
        int ip = Ethernet.HEADER_LEN;
        int headerLength = header.readableBytes() - ip;
        return withData(s, Math.min(Ipv4.totalLength(header, ip), IcmpErrors.MAX_QUOTE) - headerLength, allocate);
    }

    /** The first fragment's headers followed by the first {@code dataLength} bytes of the datagram's data. */
    private ByteBuf withData(int s, int dataLength, IntFunction<ByteBuf> allocate) {
        ByteBuf header = firstHeader[s];
        ByteBuf out = allocate.apply(header.readableBytes() + dataLength);
        out.writeBytes(header, header.readerIndex(), header.readableBytes());
        out.writeBytes(data[s], 0, dataLength);
        return out;
    }

    /** Releases every datagram in progress (the dataplane is closing). */
    synchronized void clear() {
        for (int s = 0; s < DATAGRAMS; s++) {
            forget(s);
        }
    }

    /** Datagrams in progress now. */
    synchronized int inProgress() {
        int n = 0;
        for (ByteBuf d : data) {
            n += d != null ? 1 : 0;
        }
        return n;
    }

    /** The slot of datagram {@code hi/lo}: its own, a free one, or the oldest one's, given up. */
    private int find(long hi, long lo, long now, IntFunction<ByteBuf> allocate) {
        int free = -1;
        int oldest = 0;
        for (int s = 0; s < DATAGRAMS; s++) {
            if (data[s] == null) {
                free = free < 0 ? s : free;
            } else if (keyHi[s] == hi && keyLo[s] == lo) {
                return s;
            } else if (started[s] - started[oldest] < 0 || data[oldest] == null) {
                oldest = s;
            }
        }
        int s = free >= 0 ? free : oldest;
        forget(s);
        keyHi[s] = hi;
        keyLo[s] = lo;
        data[s] = allocate.apply(MAX_PAYLOAD);
        total[s] = -1;
        started[s] = now;
        return s;
    }

    private boolean overlaps(int s, int offset, int length) {
        long[] bits = have[s];
        for (int b = offset / 8, end = (offset + length + 7) / 8; b < end; b++) {
            if ((bits[b >>> 6] & 1L << b) != 0) {
                return true;
            }
        }
        return false;
    }

    private void mark(int s, int offset, int length) {
        long[] bits = have[s];
        for (int b = offset / 8, end = (offset + length + 7) / 8; b < end; b++) {
            bits[b >>> 6] |= 1L << b;
        }
    }

    private boolean complete(int s) {
        long[] bits = have[s];
        for (int b = 0, end = (total[s] + 7) / 8; b < end; b++) {
            if ((bits[b >>> 6] & 1L << b) == 0) {
                return false;
            }
        }
        return true;
    }

    private ByteBuf assemble(int s, IntFunction<ByteBuf> allocate) {
        ByteBuf whole = withData(s, total[s], allocate);
        int l3 = Ethernet.HEADER_LEN;
        whole.setShort(l3 + Ipv4.TOTAL_LENGTH, whole.readableBytes() - l3);
        whole.setShort(l3 + Ipv4.FLAGS_FRAGMENT, Ipv4.flagsFragment(whole, l3) & Ipv4.FLAG_DF);
        Ipv4.updateChecksum(whole, l3);
        return whole;
    }

    private void forget(int s) {
        if (data[s] != null) {
            data[s].release();
            data[s] = null;
        }
        if (firstHeader[s] != null) {
            firstHeader[s].release();
            firstHeader[s] = null;
        }
        Arrays.fill(have[s], 0);
        total[s] = -1;
        furthest[s] = 0;
        cameBy[s] = null;
    }
}
