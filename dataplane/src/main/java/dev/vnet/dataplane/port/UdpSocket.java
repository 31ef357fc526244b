package dev.vnet.dataplane.port;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import dev.vnet.dataplane.wire.Ipv4Addr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;

import java.io.IOException;

/**
 * A non-blocking IPv4 UDP socket driven through libc with JNA direct mapping, so that a datagram's sender comes back
 * without an allocation: {@code recvmsg} and {@code sendmsg} take a {@code struct msghdr} the caller built in direct
 * memory, and their only arguments are numbers. (Netty's {@code Socket.recvFromAddress} returns a new address object
 * per datagram, and its {@code sendToAddress} copies the address into new arrays per datagram; its
 * {@code recvmmsg}, which does neither, is package-private.) Errors come back as {@code -errno}, never as exceptions,
 * so an empty read (EAGAIN) costs nothing more than the system call.
 *
 * <p>The descriptor joins an event loop as a Netty {@link FileDescriptor} ({@link #fd()}), as a TAP's does.
 */
public final class UdpSocket implements AutoCloseable {
    static {
        Native.register(NativeLibrary.getInstance("c"));
    }

    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEPORT = 15;
    private static final int SO_RCVBUF = 8;
    private static final int SO_SNDBUF = 7;
    private static final int IPPROTO_IP = 0;
    private static final int IP_MTU_DISCOVER = 10;
    /** DF clear and the kernel free to fragment locally: what the kernel's vxlan sends by default ({@code df unset}). */
    private static final int IP_PMTUDISC_DONT = 0;
    private static final int SOL_UDP = 17;
    private static final int UDP_SEGMENT = 103;
    private static final int UDP_GRO = 104;
    /** A {@code struct sockaddr_in}'s size. */
    public static final int SOCKADDR_IN_LEN = 16;
    /** A {@code struct msghdr}'s size on 64-bit Linux. */
    public static final int MSGHDR_LEN = 56;
    /** A {@code struct iovec}'s size on 64-bit Linux. */
    public static final int IOVEC_LEN = 16;
    /** Offsets in a {@code struct msghdr} on 64-bit Linux. */
    public static final int MSG_NAME = 0;
    /** {@code msg_namelen}. */
    public static final int MSG_NAMELEN = 8;
    /** {@code msg_iov}. */
    public static final int MSG_IOV = 16;
    /** {@code msg_iovlen}. */
    public static final int MSG_IOVLEN = 24;
    /** {@code msg_control}. */
    public static final int MSG_CONTROL = 32;
    /** {@code msg_controllen}. */
    public static final int MSG_CONTROLLEN = 40;
    /** {@code msg_flags}. */
    public static final int MSG_FLAGS = 48;
    /** Room for one control message with up to 8 bytes of data ({@code CMSG_SPACE(8)}). */
    public static final int CMSG_SPACE = 24;
    /**
     * Most datagrams one {@code UDP_SEGMENT} send may carry: the kernel's {@code UDP_MAX_SEGMENTS} was 64 until
     * Linux 5.x raised it to 128; the lower bound works everywhere.
     */
    public static final int MAX_SEGMENTS = 64;
    /** Most bytes one UDP send may carry over IPv4: 65535 less the IP and UDP headers. */
    public static final int MAX_PAYLOAD = 65535 - 20 - 8;
    private static final int CMSG_LEN = 0;
    private static final int CMSG_LEVEL = 8;
    private static final int CMSG_TYPE = 12;
    private static final int CMSG_DATA = 16;
    /** {@code msg_flags}: the datagram was longer than the buffer. */
    public static final int MSG_TRUNC = 0x20;
    /** EAGAIN as {@link #recvmsg} and {@link #sendmsg} return it (negated). */
    public static final int EAGAIN = -11;

    private static native int socket(int domain, int type, int protocol);

    private static native int bind(int fd, long addr, int len);

    private static native int getsockname(int fd, long addr, long lenPtr);

    private static native int setsockopt(int fd, int level, int name, long value, int len);

    private static native long recvmsg(int fd, long msghdr, int flags);

    private static native long sendmsg(int fd, long msghdr, int flags);

    private static native int close(int fd);

    private final int fd;
    private final int boundPort;
    private final FileDescriptor descriptor;
    private boolean closed;

    private UdpSocket(int fd, int boundPort) {
        this.fd = fd;
        this.boundPort = boundPort;
        this.descriptor = new FileDescriptor(fd) {
            @Override
            public void close() {
                // the socket closes itself (UdpSocket.close): Netty's registration must not close it a second time
            }
        };
    }

    /**
     * A socket bound to {@code address}:{@code port} (IPv4 as an int; port 0 lets the kernel pick one from its
     * ephemeral range), sharing the port with other sockets of this process when {@code reusePort} (SO_REUSEPORT,
     * so each event loop reads a socket of its own and the kernel spreads flows over them). Sends never set DF.
     */
    public static UdpSocket bind(int address, int port, boolean reusePort) throws IOException {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw failure("socket", Native.getLastError());
        }
        ByteBuf s = Unpooled.directBuffer(SOCKADDR_IN_LEN + 8);
        try {
            if (reusePort) {
                setInt(fd, s, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
            }
            setInt(fd, s, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT, "IP_MTU_DISCOVER");
            writeSockaddr(s, 0, address, port);
            if (bind(fd, s.memoryAddress(), SOCKADDR_IN_LEN) < 0) {
                throw failure("bind to " + Ipv4Addr.toString(address) + ":" + port, Native.getLastError());
            }
            s.setIntLE(SOCKADDR_IN_LEN, SOCKADDR_IN_LEN);
            if (getsockname(fd, s.memoryAddress(), s.memoryAddress() + SOCKADDR_IN_LEN) < 0) {
                throw failure("getsockname", Native.getLastError());
            }
            return new UdpSocket(fd, sockaddrPort(s, 0));
        } catch (IOException | RuntimeException e) {
            close(fd);
            throw e;
        } finally {
            s.release();
        }
    }

    /** Asks for socket buffers of {@code bytes} each way (the kernel caps them at its rmem_max and wmem_max). */
    public void setBuffers(int bytes) throws IOException {
        ByteBuf s = Unpooled.directBuffer(8);
        try {
            setInt(fd, s, SOL_SOCKET, SO_RCVBUF, bytes, "SO_RCVBUF");
            setInt(fd, s, SOL_SOCKET, SO_SNDBUF, bytes, "SO_SNDBUF");
        } finally {
            s.release();
        }
    }

    /**
     * Asks the kernel to hand this socket coalesced datagrams ({@code UDP_GRO}, Linux 5.0): one receive then returns
     * several datagrams of one flow back to back, each of the size in the control message ({@link #groSize}) but the
     * last. Returns false, leaving the socket as it was, when the kernel does not offer it.
     */
    public boolean enableGro() {
        ByteBuf s = Unpooled.directBuffer(8);
        try {
            s.setIntLE(0, 1);
            return setsockopt(fd, SOL_UDP, UDP_GRO, s.memoryAddress(), 4) == 0;
        } finally {
            s.release();
        }
    }

    /**
     * Writes at {@code buf[at]} the control message of a {@code UDP_SEGMENT} send ({@link #CMSG_SPACE} bytes): the
     * kernel cuts the datagram into datagrams of {@code size} bytes (the last may be shorter), each with its own UDP
     * header and checksum, as GSO does for TCP.
     */
    public static void writeSegmentSize(ByteBuf buf, int at, int size) {
        buf.setZero(at, CMSG_SPACE);
        buf.setLongLE(at + CMSG_LEN, CMSG_DATA + 2);
        buf.setIntLE(at + CMSG_LEVEL, SOL_UDP);
        buf.setIntLE(at + CMSG_TYPE, UDP_SEGMENT);
        buf.setShortLE(at + CMSG_DATA, size);
    }

    /**
     * The size of each datagram of a coalesced receive, from the control messages {@code recvmsg} wrote at
     * {@code buf[at, at+length)}, or 0 when the datagram came alone (no {@code UDP_GRO} message).
     */
    public static int groSize(ByteBuf buf, int at, int length) {
        if (length < CMSG_DATA + 4 || buf.getIntLE(at + CMSG_LEVEL) != SOL_UDP
                || buf.getIntLE(at + CMSG_TYPE) != UDP_GRO) {
            return 0;
        }
        return buf.getIntLE(at + CMSG_DATA);
    }

    private static void setInt(int fd, ByteBuf s, int level, int name, int value, String what) throws IOException {
        s.setIntLE(0, value);
        if (setsockopt(fd, level, name, s.memoryAddress(), 4) < 0) {
            throw failure("setsockopt " + what, Native.getLastError());
        }
    }

    /** Writes a {@code struct sockaddr_in} for {@code address}:{@code port} at {@code buf[at]}. */
    public static void writeSockaddr(ByteBuf buf, int at, int address, int port) {
        buf.setZero(at, SOCKADDR_IN_LEN);
        buf.setShortLE(at, AF_INET); // host order
        buf.setShort(at + 2, port); // network order
        buf.setInt(at + 4, address);
    }

    /** The IPv4 address in the {@code struct sockaddr_in} at {@code buf[at]}. */
    public static int sockaddrAddress(ByteBuf buf, int at) {
        return buf.getInt(at + 4);
    }

    /** The port in the {@code struct sockaddr_in} at {@code buf[at]}. */
    public static int sockaddrPort(ByteBuf buf, int at) {
        return buf.getUnsignedShort(at + 2);
    }

    /** {@code recvmsg} with the {@code struct msghdr} at {@code msghdr}: the bytes received, or {@code -errno}. */
    public long receive(long msghdr) {
        long n = recvmsg(fd, msghdr, 0);
        return n >= 0 ? n : -Native.getLastError();
    }

    /** {@code sendmsg} with the {@code struct msghdr} at {@code msghdr}: the bytes sent, or {@code -errno}. */
    public long send(long msghdr) {
        long n = sendmsg(fd, msghdr, 0);
        return n >= 0 ? n : -Native.getLastError();
    }

    /** The port the socket is bound to. */
    public int port() {
        return boundPort;
    }

    /** The descriptor, for an event loop's epoll set; closing it there leaves the socket open. */
    public FileDescriptor fd() {
        return descriptor;
    }

    /** Closes the socket. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            close(fd);
        }
    }

    /** The failure of {@code what} with {@code errno}, worded by the C library ("Address already in use"). */
    private static IOException failure(String what, int errno) {
        return Errors.newIOException(what, -errno);
    }
}
