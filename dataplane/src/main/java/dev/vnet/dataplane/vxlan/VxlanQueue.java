package dev.vnet.dataplane.vxlan;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.FrameSink;
import dev.vnet.dataplane.port.UdpSocket;
import dev.vnet.dataplane.util.RateLimitedLog;
import dev.vnet.dataplane.wire.Vxlan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * One event loop's share of a {@link VxlanEndpoint}: the socket it reads datagrams from, and the frames its pipeline
 * queued on the endpoint's tunnels until the batch's flush. Used by that loop only.
 *
 * <p>Receiving: up to a budget of datagrams per wakeup, each with {@code recvmsg} straight into a pooled direct buffer
 * (the sender's address into a {@code struct sockaddr_in} of the queue's), then checked as the kernel's vxlan_rcv
 * checks (the header, the VNI, the sender) and handed to the pipeline as a frame of the tunnel it came through, its
 * reader index past the VXLAN header: the inner frame is never copied. Sending: each frame is one {@code sendmsg} of
 * two pieces (the tunnel's header, the frame) to the tunnel's remote, from the pool socket its flow hashes to.
 */
final class VxlanQueue implements EpollIoHandle {
    private static final Logger log = LoggerFactory.getLogger(VxlanQueue.class);
    private static final int BUDGET = 64;
    private static final int TX_RING = 64;
    private static final int EPOLLIN = 0x001;
    // struct msghdr, then iovecs, then (receive side) a struct sockaddr_in: in one direct buffer per direction
    private static final int MSG_NAME = 0;
    private static final int MSG_NAMELEN = 8;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_FLAGS = 48;
    private static final int IOV_AT = UdpSocket.MSGHDR_LEN;
    private static final int SENDER_AT = IOV_AT + 2 * UdpSocket.IOVEC_LEN;
    private static final int META_LEN = SENDER_AT + UdpSocket.SOCKADDR_IN_LEN;

    private final VxlanEndpoint endpoint;
    private final UdpSocket socket;
    private final UdpSocket[] senders;
    private final FrameSink sink;
    private final ByteBufAllocator alloc;
    private final int readSize;
    private final ByteBuf rxMeta = Unpooled.directBuffer(META_LEN, META_LEN);
    private final ByteBuf txMeta = Unpooled.directBuffer(META_LEN, META_LEN);
    private final VtepPort[] txPorts = new VtepPort[TX_RING];
    private final ByteBuf[] txFrames = new ByteBuf[TX_RING];
    private final RateLimitedLog sendErrors = new RateLimitedLog(log, TimeUnit.SECONDS.toNanos(1));
    private int txCount;
    private int lastSourcePort;
    private ByteBuf spare;
    private IoRegistration registration;
    private boolean closed;

    VxlanQueue(VxlanEndpoint endpoint, UdpSocket socket, UdpSocket[] senders, FrameSink sink, ByteBufAllocator alloc,
               int readSize) {
        this.endpoint = endpoint;
        this.socket = socket;
        this.senders = senders;
        this.sink = sink;
        this.alloc = alloc;
        this.readSize = readSize + 1; // one more than the largest datagram: a fuller read was truncated
        rxMeta.setZero(0, META_LEN);
        rxMeta.setLongLE(MSG_NAME, rxMeta.memoryAddress() + SENDER_AT);
        rxMeta.setLongLE(MSG_IOV, rxMeta.memoryAddress() + IOV_AT);
        rxMeta.setLongLE(MSG_IOVLEN, 1);
        txMeta.setZero(0, META_LEN);
        txMeta.setIntLE(MSG_NAMELEN, UdpSocket.SOCKADDR_IN_LEN);
        txMeta.setLongLE(MSG_IOV, txMeta.memoryAddress() + IOV_AT);
        txMeta.setLongLE(MSG_IOVLEN, 2);
        txMeta.setLongLE(IOV_AT + 8, Vxlan.HEADER_LEN);
    }

    @Override
    public FileDescriptor fd() {
        return socket.fd();
    }

    void registered(IoRegistration registration) {
        this.registration = registration;
        registration.submit(EpollIoOps.EPOLLIN);
    }

    /** The outer source port of the datagram read last (for a decision trace of its frame). */
    int lastSourcePort() {
        return lastSourcePort;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        try {
            if ((((EpollIoEvent) event).ops().value() & EPOLLIN) != 0) {
                readBatch();
            }
        } catch (Throwable t) {
            sink.failed(endpoint, t); // nothing may reach Netty's loop (see TapQueue.handle)
        }
    }

    private void readBatch() {
        sink.beginBatch();
        try {
            for (int i = 0; i < BUDGET && !closed; i++) {
                ByteBuf buf = spare != null ? spare : alloc.directBuffer(readSize, readSize);
                spare = null;
                rxMeta.setIntLE(MSG_NAMELEN, UdpSocket.SOCKADDR_IN_LEN);
                rxMeta.setIntLE(MSG_FLAGS, 0);
                rxMeta.setLongLE(IOV_AT, buf.memoryAddress());
                rxMeta.setLongLE(IOV_AT + 8, readSize);
                long n = socket.receive(rxMeta.memoryAddress());
                if (n < 0) {
                    spare = buf;
                    if (n != UdpSocket.EAGAIN) {
                        endpoint.counters().rxError();
                    }
                    break;
                }
                deliver(buf, (int) n);
            }
        } finally {
            sink.endBatch();
        }
    }

    /** Hands the datagram of {@code n} bytes in {@code buf} to the pipeline, or drops it with its reason. */
    private void deliver(ByteBuf buf, int n) {
        if (n >= readSize || (rxMeta.getIntLE(MSG_FLAGS) & UdpSocket.MSG_TRUNC) != 0) {
            refuse(buf, endpoint, n, DropReason.OVERSIZE);
            return;
        }
        if (n < Vxlan.HEADER_LEN) {
            refuse(buf, endpoint, n, DropReason.VXLAN_TRUNCATED);
            return;
        }
        int vni = Vxlan.vni(buf, 0);
        int sender = UdpSocket.sockaddrAddress(rxMeta, SENDER_AT);
        VtepIndex index = endpoint.index();
        VtepPort tunnel = index.lookup(vni, sender);
        DropReason bad = Vxlan.check(buf, 0, n);
        if (tunnel == null) {
            refuse(buf, endpoint, n, bad != null ? bad
                    : index.knowsVni(vni) ? DropReason.VXLAN_UNKNOWN_VTEP : DropReason.VXLAN_UNKNOWN_VNI);
            return;
        }
        if (bad != null) {
            refuse(buf, tunnel, n, bad);
            return;
        }
        lastSourcePort = UdpSocket.sockaddrPort(rxMeta, SENDER_AT);
        tunnel.counters().rx(n - Vxlan.HEADER_LEN);
        buf.setIndex(Vxlan.HEADER_LEN, n);
        sink.receive(tunnel, buf, 0);
    }

    /** Counts a datagram that goes no further on {@code on} and keeps its buffer for the next read. */
    private void refuse(ByteBuf buf, dev.vnet.dataplane.port.Port on, int n, DropReason why) {
        on.counters().rx(n);
        on.counters().drop(why);
        buf.clear();
        spare = buf;
    }

    void enqueue(VtepPort tunnel, ByteBuf frame) {
        if (closed) {
            tunnel.counters().drop(DropReason.PORT_CLOSED);
            frame.release();
            return;
        }
        if (txCount == TX_RING) {
            flush();
        }
        txPorts[txCount] = tunnel;
        txFrames[txCount++] = frame;
    }

    void flush() {
        int count = txCount;
        txCount = 0;
        for (int i = 0; i < count; i++) {
            VtepPort tunnel = txPorts[i];
            ByteBuf frame = txFrames[i];
            txPorts[i] = null;
            txFrames[i] = null;
            try {
                send(tunnel, frame);
            } catch (RuntimeException e) {
                tunnel.counters().drop(DropReason.TX_ERROR);
                sendErrors.warn(System.nanoTime(), "tunnel " + tunnel.name() + ": send threw: {}", e.toString());
            } finally {
                frame.release();
            }
        }
    }

    private void send(VtepPort tunnel, ByteBuf frame) {
        int length = frame.readableBytes();
        if (!frame.hasMemoryAddress()) { // not a buffer the dataplane read or built: a test's heap buffer
            ByteBuf direct = alloc.directBuffer(length);
            try {
                direct.writeBytes(frame, frame.readerIndex(), length);
                send(tunnel, direct);
            } finally {
                direct.release();
            }
            return;
        }
        int from = frame.readerIndex();
        UdpSocket sender = senders[endpoint.senderFor(frame, from, length)];
        long meta = tunnel.metaAddress();
        txMeta.setLongLE(MSG_NAME, meta + VtepPort.SOCKADDR_AT);
        txMeta.setLongLE(IOV_AT, meta + VtepPort.HEADER_AT);
        txMeta.setLongLE(IOV_AT + UdpSocket.IOVEC_LEN, frame.memoryAddress() + from);
        txMeta.setLongLE(IOV_AT + UdpSocket.IOVEC_LEN + 8, length);
        long n = sender.send(txMeta.memoryAddress());
        if (n == Vxlan.HEADER_LEN + length) {
            tunnel.counters().tx(length);
        } else if (n == UdpSocket.EAGAIN) {
            tunnel.counters().drop(DropReason.TX_FULL);
        } else {
            tunnel.counters().drop(DropReason.TX_ERROR);
            sendErrors.warn(System.nanoTime(), "tunnel " + tunnel.name() + ": sendmsg failed: {}",
                    n < 0 ? "errno " + -n : "short write of " + n + " bytes");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (registration != null) {
            registration.cancel();
        }
        for (int i = 0; i < txCount; i++) {
            txPorts[i].counters().drop(DropReason.PORT_CLOSED);
            txFrames[i].release();
            txFrames[i] = null;
            txPorts[i] = null;
        }
        txCount = 0;
        if (spare != null) {
            spare.release();
            spare = null;
        }
        rxMeta.release();
        txMeta.release();
        socket.close();
    }
}
