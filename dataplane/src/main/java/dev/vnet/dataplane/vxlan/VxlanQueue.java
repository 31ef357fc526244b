package dev.vnet.dataplane.vxlan;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.FrameSink;
import dev.vnet.dataplane.port.UdpSocket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;


/**
 * One event loop's share of a {@link VxlanEndpoint}: the socket it reads datagrams from, and its {@link VxlanSender}
 * for what its pipeline sends on the endpoint's tunnels. Used by that loop only.
 *
 * <p>Receiving: up to a budget of reads per wakeup, each with {@code recvmsg} straight into a pooled direct buffer
 * (the sender's address into a {@code struct sockaddr_in} of the queue's). Every datagram is checked as the kernel's
 * vxlan_rcv checks it, and its inner frame handed to the pipeline ({@link Decapsulation}); with {@code UDP_GRO} one
 * read holds up to 64 datagrams of one flow, the size of each in a control message.
 */
final class VxlanQueue implements EpollIoHandle {
    private static final int BUDGET = 64;
    private static final int EPOLLIN = 0x001;
    /** A coalesced read is at most a 64 KiB UDP payload. */
    private static final int GRO_READ = 65536;
    // struct msghdr, one iovec, the sender's struct sockaddr_in, control messages: in one direct buffer
    private static final int IOV_AT = UdpSocket.MSGHDR_LEN;
    private static final int SENDER_AT = IOV_AT + UdpSocket.IOVEC_LEN;
    private static final int CONTROL_AT = SENDER_AT + UdpSocket.SOCKADDR_IN_LEN;
    private static final int META_LEN = CONTROL_AT + UdpSocket.CMSG_SPACE;

    private final VxlanEndpoint endpoint;
    private final UdpSocket socket;
    private final VxlanSender sender;
    private final FrameSink sink;
    private final ByteBufAllocator alloc;
    private final int readSize;
    private final ByteBuf rxMeta = Unpooled.directBuffer(META_LEN, META_LEN);
    private final Decapsulation decapsulation;
    private int lastSourcePort;
    private ByteBuf spare;
    private IoRegistration registration;
    private boolean closed;

    /**
     * A queue reading {@code socket} (datagrams of up to {@code maxDatagram} bytes, or coalesced reads of up to 64 KiB
     * when the socket has {@code UDP_GRO} on) and sending through {@code sender}.
     */
    VxlanQueue(VxlanEndpoint endpoint, UdpSocket socket, boolean gro, VxlanSender sender, FrameSink sink,
               ByteBufAllocator alloc, int maxDatagram) {
        this.endpoint = endpoint;
        this.socket = socket;
        this.sender = sender;
        this.sink = sink;
        this.alloc = alloc;
        this.decapsulation = new Decapsulation(endpoint, sink, alloc);
        // One byte more than the largest read: a fuller read was truncated.
        this.readSize = (gro ? Math.max(GRO_READ, maxDatagram) : maxDatagram) + 1;
        rxMeta.setZero(0, META_LEN);
        rxMeta.setLongLE(UdpSocket.MSG_NAME, rxMeta.memoryAddress() + SENDER_AT);
        rxMeta.setLongLE(UdpSocket.MSG_IOV, rxMeta.memoryAddress() + IOV_AT);
        rxMeta.setLongLE(UdpSocket.MSG_IOVLEN, 1);
        rxMeta.setLongLE(UdpSocket.MSG_CONTROL, rxMeta.memoryAddress() + CONTROL_AT);
    }

    /** This loop's sending side. */
    VxlanSender sender() {
        return sender;
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
                rxMeta.setIntLE(UdpSocket.MSG_NAMELEN, UdpSocket.SOCKADDR_IN_LEN);
                rxMeta.setLongLE(UdpSocket.MSG_CONTROLLEN, UdpSocket.CMSG_SPACE);
                rxMeta.setIntLE(UdpSocket.MSG_FLAGS, 0);
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

    /** Hands what one read of {@code n} bytes put in {@code buf} to the pipeline, or drops it with its reason. */
    private void deliver(ByteBuf buf, int n) {
        if (n >= readSize || (rxMeta.getIntLE(UdpSocket.MSG_FLAGS) & UdpSocket.MSG_TRUNC) != 0) {
            Decapsulation.dropped(endpoint, n, DropReason.OVERSIZE);
            keep(buf);
            return;
        }
        lastSourcePort = UdpSocket.sockaddrPort(rxMeta, SENDER_AT);
        int from = UdpSocket.sockaddrAddress(rxMeta, SENDER_AT);
        int size = UdpSocket.groSize(rxMeta, CONTROL_AT, (int) rxMeta.getLongLE(UdpSocket.MSG_CONTROLLEN));
        if (size <= 0 || size >= n) {
            if (!decapsulation.single(buf, n, from)) {
                keep(buf);
            }
            return;
        }
        try {
            decapsulation.batch(buf, n, size, from);
        } finally {
            keep(buf);
        }
    }

    /** Keeps {@code buf} for the next read. */
    private void keep(ByteBuf buf) {
        buf.clear();
        spare = buf;
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
        sender.close();
        if (spare != null) {
            spare.release();
            spare = null;
        }
        rxMeta.release();
        socket.close();
    }
}
