package dev.vnet.dataplane.vxlan;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.UdpSocket;
import dev.vnet.dataplane.util.RateLimitedLog;
import dev.vnet.dataplane.wire.Offload;
import dev.vnet.dataplane.wire.SoftwareOffload;
import dev.vnet.dataplane.wire.Vxlan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * One event loop's sending side of a {@link VxlanEndpoint}: the frames its pipeline queued on the endpoint's tunnels,
 * sent at the batch's flush, each from the pool socket its inner flow hashes to (so the outer source port follows
 * the flow). Used by that loop only.
 *
 * <p>A plain frame is one {@code sendmsg} of two pieces, the tunnel's header and the frame, so it is neither copied
 * nor written. A TCP super-frame from a TAP is cut into segments at enqueue time without copying its payload: each
 * segment's VXLAN header and Ethernet, IP and TCP headers (with its TCP checksum, summed over the payload in place)
 * go one after the other into a small buffer ({@link SoftwareOffload#segmentHeaders}), and the datagrams leave as a
 * scatter-gather list of (headers, payload slice) pieces in one {@code sendmsg} with {@code UDP_SEGMENT} (two when
 * they pass the 64 KiB a send can carry): the kernel gathers them, cuts the stream into datagrams and computes their
 * UDP checksums, so a 64 KiB super-frame costs one or two system calls instead of some forty, and one copy (the
 * kernel's). If the kernel refuses {@code UDP_SEGMENT} (older than 4.18), the datagrams are sent one by one from then
 * on, and that is logged once.
 */
final class VxlanSender {
    private static final Logger log = LoggerFactory.getLogger(VxlanSender.class);
    private static final int TX_RING = 64;
    private static final int IOV_AT = UdpSocket.MSGHDR_LEN;
    /** Room for two pieces (headers, payload) per datagram of one send. */
    private static final int CONTROL_AT = IOV_AT + 2 * UdpSocket.MAX_SEGMENTS * UdpSocket.IOVEC_LEN;
    private static final int META_LEN = CONTROL_AT + UdpSocket.CMSG_SPACE;
    private static final int EIO = -5;
    private static final int EINVAL = -22;
    private static final int ENOPROTOOPT = -92;

    private final VxlanEndpoint endpoint;
    private final UdpSocket[] senders;
    private final ByteBufAllocator alloc;
    private final ByteBuf meta = Unpooled.directBuffer(META_LEN, META_LEN);
    private final VtepPort[] ports = new VtepPort[TX_RING];
    private final ByteBuf[] frames = new ByteBuf[TX_RING];
    /** A super-frame's segment headers (each behind its VXLAN header), or null for a plain frame. */
    private final ByteBuf[] headers = new ByteBuf[TX_RING];
    /** For a super-frame: bytes of headers per segment (VXLAN's included), and the MSS. */
    private final int[] headerLens = new int[TX_RING];
    private final int[] mssOf = new int[TX_RING];
    private final int[] senderOf = new int[TX_RING];
    private final RateLimitedLog sendErrors = new RateLimitedLog(log, TimeUnit.SECONDS.toNanos(1));
    private boolean segmentOffload = true;
    private int count;
    private boolean closed;

    VxlanSender(VxlanEndpoint endpoint, UdpSocket[] senders, ByteBufAllocator alloc) {
        this.endpoint = endpoint;
        this.senders = senders;
        this.alloc = alloc;
        meta.setZero(0, META_LEN);
        meta.setIntLE(UdpSocket.MSG_NAMELEN, UdpSocket.SOCKADDR_IN_LEN);
        meta.setLongLE(UdpSocket.MSG_IOV, meta.memoryAddress() + IOV_AT);
    }

    /** Queues a plain frame for {@code tunnel}; takes the reference. */
    void enqueue(VtepPort tunnel, ByteBuf frame) {
        if (!frame.hasMemoryAddress()) { // not a buffer the dataplane read or built: a test's heap buffer
            ByteBuf direct;
            try {
                direct = alloc.directBuffer(frame.readableBytes());
                direct.writeBytes(frame, frame.readerIndex(), frame.readableBytes());
            } finally {
                frame.release();
            }
            frame = direct;
        }
        add(tunnel, frame, null, 0, 0, endpoint.senderFor(frame, frame.readerIndex(), frame.readableBytes()));
    }

    /**
     * Cuts the TCP super-frame {@code frame} ({@code offload} says how) into datagrams for {@code tunnel} and queues
     * them as one send; takes the reference. Segments that would not fit the underlay are dropped as
     * {@code vxlan-too-big}, a super-frame that cannot be cut as {@code offload-unsupported}.
     */
    void enqueueSuperFrame(VtepPort tunnel, ByteBuf frame, long offload) {
        ByteBuf heads = null;
        boolean queued = false;
        try {
            if (!frame.hasMemoryAddress()) {
                tunnel.counters().drop(DropReason.OFFLOAD_UNSUPPORTED); // super-frames come from TAPs, in direct memory
                return;
            }
            int from = frame.readerIndex();
            int length = frame.readableBytes();
            int h = SoftwareOffload.headerLength(frame, from, length, offload);
            if (h < 0) {
                tunnel.counters().drop(DropReason.OFFLOAD_UNSUPPORTED);
                return;
            }
            int mss = Offload.gsoSize(offload);
            if (h + mss > tunnel.maxFrame()) {
                tunnel.counters().drop(DropReason.VXLAN_TOO_BIG);
                return;
            }
            int segments = Math.max(1, (length - h + mss - 1) / mss);
            heads = alloc.directBuffer(segments * (Vxlan.HEADER_LEN + h));
            SoftwareOffload.segmentHeaders(frame, from, length, offload, heads, tunnel.meta(), VtepPort.HEADER_AT,
                    Vxlan.HEADER_LEN);
            add(tunnel, frame, heads, Vxlan.HEADER_LEN + h, mss, endpoint.senderFor(frame, from, length));
            queued = true;
        } finally {
            if (!queued) {
                frame.release();
                if (heads != null) {
                    heads.release();
                }
            }
        }
    }

    private void add(VtepPort tunnel, ByteBuf frame, ByteBuf heads, int headerLen, int mss, int sender) {
        if (closed) {
            tunnel.counters().drop(DropReason.PORT_CLOSED);
            frame.release();
            if (heads != null) {
                heads.release();
            }
            return;
        }
        if (count == TX_RING) {
            flush();
        }
        ports[count] = tunnel;
        frames[count] = frame;
        headers[count] = heads;
        headerLens[count] = headerLen;
        mssOf[count] = mss;
        senderOf[count++] = sender;
    }

    /** Sends everything queued; a failure costs its own frame only. */
    void flush() {
        int n = count;
        count = 0;
        for (int i = 0; i < n; i++) {
            VtepPort tunnel = ports[i];
            ByteBuf buf = frames[i];
            ByteBuf heads = headers[i];
            ports[i] = null;
            frames[i] = null;
            headers[i] = null;
            try {
                if (heads == null) {
                    sendFrame(tunnel, buf, senders[senderOf[i]]);
                } else {
                    sendSegments(tunnel, buf, heads, headerLens[i], mssOf[i], senders[senderOf[i]]);
                }
            } catch (RuntimeException e) {
                tunnel.counters().drop(DropReason.TX_ERROR);
                sendErrors.warn(System.nanoTime(), "tunnel " + tunnel.name() + ": send threw: {}", e.toString());
            } finally {
                buf.release();
                if (heads != null) {
                    heads.release();
                }
            }
        }
    }

    /** One frame behind the tunnel's header: two pieces, nothing copied. */
    private void sendFrame(VtepPort tunnel, ByteBuf frame, UdpSocket sender) {
        int length = frame.readableBytes();
        long tunnelMeta = tunnel.metaAddress();
        meta.setLongLE(UdpSocket.MSG_NAME, tunnelMeta + VtepPort.SOCKADDR_AT);
        meta.setLongLE(UdpSocket.MSG_IOV, meta.memoryAddress() + IOV_AT);
        meta.setLongLE(UdpSocket.MSG_IOVLEN, 2);
        meta.setLongLE(UdpSocket.MSG_CONTROL, 0);
        meta.setLongLE(UdpSocket.MSG_CONTROLLEN, 0);
        meta.setLongLE(IOV_AT, tunnelMeta + VtepPort.HEADER_AT);
        meta.setLongLE(IOV_AT + 8, Vxlan.HEADER_LEN);
        meta.setLongLE(IOV_AT + UdpSocket.IOVEC_LEN, frame.memoryAddress() + frame.readerIndex());
        meta.setLongLE(IOV_AT + UdpSocket.IOVEC_LEN + 8, length);
        long n = sender.send(meta.memoryAddress());
        counted(tunnel, n, Vxlan.HEADER_LEN + length, 1, length);
    }

    /**
     * The datagrams of a super-frame: segment {@code i} is {@code headerLen} bytes of {@code heads} then its slice of
     * the payload, which follows the super-frame's own headers, at {@code i * mss}; as few {@code UDP_SEGMENT}
     * sends as fit.
     */
    private void sendSegments(VtepPort tunnel, ByteBuf frame, ByteBuf heads, int headerLen, int mss,
                              UdpSocket sender) {
        int payloadAt = frame.readerIndex() + headerLen - Vxlan.HEADER_LEN;
        int segments = heads.readableBytes() / headerLen;
        int payload = frame.writerIndex() - payloadAt;
        int size = headerLen + mss;
        int perSend = Math.max(1, Math.min(UdpSocket.MAX_SEGMENTS, UdpSocket.MAX_PAYLOAD / size));
        long headsAt = heads.memoryAddress() + heads.readerIndex();
        long payloadBase = frame.memoryAddress() + payloadAt;
        long iov = meta.memoryAddress() + IOV_AT;
        for (int first = 0; first < segments; first += perSend) {
            int n = Math.min(perSend, segments - first);
            int bytes = 0;
            for (int k = 0; k < n; k++) {
                int i = first + k;
                int slice = Math.min(mss, payload - i * mss);
                int at = IOV_AT + 2 * k * UdpSocket.IOVEC_LEN;
                meta.setLongLE(at, headsAt + (long) i * headerLen);
                meta.setLongLE(at + 8, headerLen);
                meta.setLongLE(at + UdpSocket.IOVEC_LEN, payloadBase + (long) i * mss);
                meta.setLongLE(at + UdpSocket.IOVEC_LEN + 8, slice);
                bytes += headerLen + slice;
            }
            if (segmentOffload) {
                long sent = sendPieces(tunnel, sender, iov, 2 * n, size);
                if (sent == bytes || !refusesSegmentation(sent)) {
                    counted(tunnel, sent, bytes, n, bytes - n * Vxlan.HEADER_LEN);
                    continue;
                }
                segmentOffload = false;
                log.warn("the kernel refuses UDP_SEGMENT (errno {}): VXLAN datagrams are sent one by one", -sent);
            }
            for (int k = 0; k < n; k++) {
                int one = headerLen + Math.min(mss, payload - (first + k) * mss);
                counted(tunnel, sendPieces(tunnel, sender, iov + 2L * k * UdpSocket.IOVEC_LEN, 2, 0), one, 1,
                        one - Vxlan.HEADER_LEN);
            }
        }
    }

    private static boolean refusesSegmentation(long n) {
        return n == EIO || n == EINVAL || n == ENOPROTOOPT;
    }

    /** One {@code sendmsg} of {@code pieces} iovecs at {@code iov}, cut in {@code segmentSize} datagrams (0: not). */
    private long sendPieces(VtepPort tunnel, UdpSocket sender, long iov, int pieces, int segmentSize) {
        meta.setLongLE(UdpSocket.MSG_NAME, tunnel.metaAddress() + VtepPort.SOCKADDR_AT);
        meta.setLongLE(UdpSocket.MSG_IOV, iov);
        meta.setLongLE(UdpSocket.MSG_IOVLEN, pieces);
        if (segmentSize > 0) {
            UdpSocket.writeSegmentSize(meta, CONTROL_AT, segmentSize);
            meta.setLongLE(UdpSocket.MSG_CONTROL, meta.memoryAddress() + CONTROL_AT);
            meta.setLongLE(UdpSocket.MSG_CONTROLLEN, UdpSocket.CMSG_SPACE);
        } else {
            meta.setLongLE(UdpSocket.MSG_CONTROL, 0);
            meta.setLongLE(UdpSocket.MSG_CONTROLLEN, 0);
        }
        return sender.send(meta.memoryAddress());
    }

    /** Counts a send of {@code datagrams} carrying {@code innerBytes} of frames, which returned {@code n}. */
    private void counted(VtepPort tunnel, long n, int expected, int datagrams, int innerBytes) {
        if (n == expected) {
            tunnel.counters().tx(datagrams, innerBytes);
            return;
        }
        DropReason why = n == UdpSocket.EAGAIN ? DropReason.TX_FULL : DropReason.TX_ERROR;
        for (int i = 0; i < datagrams; i++) {
            tunnel.counters().drop(why);
        }
        if (why == DropReason.TX_ERROR) {
            sendErrors.warn(System.nanoTime(), "tunnel " + tunnel.name() + ": sendmsg failed: {}",
                    n < 0 ? "errno " + -n : "short write of " + n + " bytes");
        }
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = 0; i < count; i++) {
            ports[i].counters().drop(DropReason.PORT_CLOSED);
            frames[i].release();
            if (headers[i] != null) {
                headers[i].release();
                headers[i] = null;
            }
            frames[i] = null;
            ports[i] = null;
        }
        count = 0;
        meta.release();
    }
}
