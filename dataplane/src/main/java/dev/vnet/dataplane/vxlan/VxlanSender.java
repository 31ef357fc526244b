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
 * nor written. A TCP super-frame from a TAP is cut into segments at enqueue time, each behind its VXLAN header, one
 * after the other in one buffer, and leaves in one {@code sendmsg} with {@code UDP_SEGMENT} (two when the datagrams
 * pass the 64 KiB a send can carry): the kernel cuts it into datagrams and computes their checksums, so a 64 KiB
 * super-frame costs one or two system calls instead of some forty. If the kernel refuses {@code UDP_SEGMENT} (older
 * than 4.18), the datagrams are sent one by one from then on, and that is logged once.
 */
final class VxlanSender {
    private static final Logger log = LoggerFactory.getLogger(VxlanSender.class);
    private static final int TX_RING = 64;
    private static final int IOV_AT = UdpSocket.MSGHDR_LEN;
    private static final int CONTROL_AT = IOV_AT + 2 * UdpSocket.IOVEC_LEN;
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
    /** 0: a plain frame; otherwise the size of each datagram in a buffer of segments (the last may be shorter). */
    private final int[] datagramSizes = new int[TX_RING];
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
        add(tunnel, frame, 0, endpoint.senderFor(frame, frame.readerIndex(), frame.readableBytes()));
    }

    /**
     * Cuts the TCP super-frame {@code frame} ({@code offload} says how) into datagrams for {@code tunnel} and queues
     * them as one send; takes the reference. Segments that would not fit the underlay are dropped as
     * {@code vxlan-too-big}, a super-frame that cannot be cut as {@code offload-unsupported}.
     */
    void enqueueSuperFrame(VtepPort tunnel, ByteBuf frame, long offload) {
        ByteBuf batch = null;
        try {
            int from = frame.readerIndex();
            int length = frame.readableBytes();
            int headers = SoftwareOffload.headerLength(frame, from, length, offload);
            if (headers < 0) {
                tunnel.counters().drop(DropReason.OFFLOAD_UNSUPPORTED);
                return;
            }
            int mss = Offload.gsoSize(offload);
            if (headers + mss > tunnel.maxFrame()) {
                tunnel.counters().drop(DropReason.VXLAN_TOO_BIG);
                return;
            }
            int payload = length - headers;
            int segments = Math.max(1, (payload + mss - 1) / mss);
            batch = alloc.directBuffer(segments * (Vxlan.HEADER_LEN + headers) + payload);
            SoftwareOffload.segmentInto(frame, from, length, offload, batch, tunnel.meta(), VtepPort.HEADER_AT,
                    Vxlan.HEADER_LEN);
            int sender = endpoint.senderFor(frame, from, length);
            add(tunnel, batch, Vxlan.HEADER_LEN + headers + mss, sender);
            batch = null;
        } finally {
            frame.release();
            if (batch != null) {
                batch.release();
            }
        }
    }

    private void add(VtepPort tunnel, ByteBuf buf, int datagramSize, int sender) {
        if (closed) {
            tunnel.counters().drop(DropReason.PORT_CLOSED);
            buf.release();
            return;
        }
        if (count == TX_RING) {
            flush();
        }
        ports[count] = tunnel;
        frames[count] = buf;
        datagramSizes[count] = datagramSize;
        senderOf[count++] = sender;
    }

    /** Sends everything queued; a failure costs its own frame only. */
    void flush() {
        int n = count;
        count = 0;
        for (int i = 0; i < n; i++) {
            VtepPort tunnel = ports[i];
            ByteBuf buf = frames[i];
            ports[i] = null;
            frames[i] = null;
            try {
                if (datagramSizes[i] == 0) {
                    sendFrame(tunnel, buf, senders[senderOf[i]]);
                } else {
                    sendSegments(tunnel, buf, datagramSizes[i], senders[senderOf[i]]);
                }
            } catch (RuntimeException e) {
                tunnel.counters().drop(DropReason.TX_ERROR);
                sendErrors.warn(System.nanoTime(), "tunnel " + tunnel.name() + ": send threw: {}", e.toString());
            } finally {
                buf.release();
            }
        }
    }

    /** One frame behind the tunnel's header: two pieces, nothing copied. */
    private void sendFrame(VtepPort tunnel, ByteBuf frame, UdpSocket sender) {
        int length = frame.readableBytes();
        long tunnelMeta = tunnel.metaAddress();
        meta.setLongLE(UdpSocket.MSG_NAME, tunnelMeta + VtepPort.SOCKADDR_AT);
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

    /** Datagrams of {@code size} bytes back to back in {@code batch}: as few {@code UDP_SEGMENT} sends as fit. */
    private void sendSegments(VtepPort tunnel, ByteBuf batch, int size, UdpSocket sender) {
        int total = batch.readableBytes();
        int perSend = Math.max(1, Math.min(UdpSocket.MAX_SEGMENTS, UdpSocket.MAX_PAYLOAD / size));
        for (int off = 0; off < total; off += perSend * size) {
            int bytes = Math.min(perSend * size, total - off);
            int datagrams = (bytes + size - 1) / size;
            long address = batch.memoryAddress() + batch.readerIndex() + off;
            if (segmentOffload) {
                long n = sendOne(tunnel, sender, address, bytes, size);
                if (n == bytes || !refusesSegmentation(n)) {
                    counted(tunnel, n, bytes, datagrams, bytes - datagrams * Vxlan.HEADER_LEN);
                    continue;
                }
                segmentOffload = false;
                log.warn("the kernel refuses UDP_SEGMENT (errno {}): VXLAN datagrams are sent one by one", -n);
            }
            for (int d = 0; d < bytes; d += size) {
                int one = Math.min(size, bytes - d);
                counted(tunnel, sendOne(tunnel, sender, address + d, one, 0), one, 1, one - Vxlan.HEADER_LEN);
            }
        }
    }

    private static boolean refusesSegmentation(long n) {
        return n == EIO || n == EINVAL || n == ENOPROTOOPT;
    }

    /** One {@code sendmsg} of {@code bytes} at {@code address}, cut into {@code segmentSize} datagrams unless 0. */
    private long sendOne(VtepPort tunnel, UdpSocket sender, long address, int bytes, int segmentSize) {
        meta.setLongLE(UdpSocket.MSG_NAME, tunnel.metaAddress() + VtepPort.SOCKADDR_AT);
        meta.setLongLE(UdpSocket.MSG_IOVLEN, 1);
        meta.setLongLE(IOV_AT, address);
        meta.setLongLE(IOV_AT + 8, bytes);
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
            frames[i] = null;
            ports[i] = null;
        }
        count = 0;
        meta.release();
    }
}
