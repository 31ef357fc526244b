package dev.vnet.dataplane.port;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens TAP devices through {@code /dev/net/tun} (Linux {@code Documentation/networking/tuntap.rst}) with JNA:
 * {@code open(O_RDWR|O_NONBLOCK|O_CLOEXEC)} then {@code ioctl(TUNSETIFF)} with a 40-byte {@code struct ifreq}
 * (name[16], then short flags). The device lives as long as the returned descriptor (it is not made persistent), so
 * a crashed process leaves no TAP behind.
 */
public final class TunDevice {
    /** Longest interface name the kernel accepts (IFNAMSIZ - 1). */
    public static final int MAX_NAME_LENGTH = 15;

    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;

    static final long TUNSETIFF = 0x400454caL;
    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    /** Frames carry a virtio-net header (offloads). */
    static final short IFF_VNET_HDR = 0x4000;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    /** The kernel may hand over frames with a partial checksum. */
    static final int TUN_F_CSUM = 0x01;
    /** ... and TCPv4 super-frames (TSO). */
    static final int TUN_F_TSO4 = 0x02;
    /** ... and TCPv6 super-frames. */
    static final int TUN_F_TSO6 = 0x04;
    /** ... with the ECN bit (CWR on the first segment). */
    static final int TUN_F_TSO_ECN = 0x08;
    /** A multi-queue device: each open of the same name with this flag adds a queue (a descriptor of its own). */
    static final short IFF_MULTI_QUEUE = 0x0100;

    private static final int IFREQ_SIZE = 40;
    private static final int IFREQ_FLAGS = 16;

    private TunDevice() {
    }

    /** The subset of libc used here; errno comes back as {@link LastErrorException}. */
    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int ioctl(int fd, NativeLong request, Pointer arg) throws LastErrorException;

        int ioctl(int fd, NativeLong request, NativeLong arg) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static final class Holder {
        static final LibC LIBC = Native.load("c", LibC.class);
    }

    /** An open TAP: its descriptor and the name the kernel gave it. */
    public record Opened(int fd, String name) {
    }

    /** An open multi-queue TAP: one descriptor per queue, and the name the kernel gave it. */
    public record OpenedQueues(int[] fds, String name) {
    }

    /**
     * Creates TAP device {@code name} in the calling thread's network namespace and returns its non-blocking descriptor.
     * Refuses a name already in use, so a persistent TAP of someone else's is never taken over.
     */
    public static Opened openTap(String name) throws IOException {
        return openTap(name, false);
    }

    /**
     * As {@link #openTap(String)}; with {@code offloads}, frames in both directions carry a virtio-net header and the
     * kernel may hand over frames with partial checksums and TCP super-frames ({@code IFF_VNET_HDR},
     * {@code TUNSETOFFLOAD} with {@code TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6|TUN_F_TSO_ECN}); vnet cuts them in software
     * for a port without offloads.
     */
    public static Opened openTap(String name, boolean offloads) throws IOException {
        OpenedQueues q = openTap(name, offloads, 1);
        return new Opened(q.fds()[0], q.name());
    }

    /**
     * As {@link #openTap(String, boolean)} with {@code queues} queues: more than one makes a multi-queue device
     * ({@code IFF_MULTI_QUEUE}, one {@code TUNSETIFF} per queue on a descriptor of its own), over which the kernel
     * spreads the frames it hands over by flow, keeping each flow on the queue vnet last wrote it to. All queues are
     * closed again when one cannot be opened.
     */
    public static OpenedQueues openTap(String name, boolean offloads, int queues) throws IOException {
        if (queues < 1 || queues > 256) {
            throw new IllegalArgumentException("a TAP has 1 to 256 queues, not " + queues);
        }
        validateName(name);
        if (Files.exists(Path.of("/sys/class/net", name))) {
            throw new IOException("cannot create TAP '" + name + "': an interface of that name already exists");
        }
        int[] fds = new int[queues];
        for (int q = 0; q < queues; q++) {
            try {
                fds[q] = openQueue(name, offloads, queues > 1);
            } catch (IOException e) {
                for (int i = 0; i < q; i++) {
                    closeQuietly(fds[i]);
                }
                throw e;
            }
        }
        return new OpenedQueues(fds, name);
    }

    private static int openQueue(String name, boolean offloads, boolean multiQueue) throws IOException {
        LibC libc = Holder.LIBC;
        int fd;
        try {
            fd = libc.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new IOException("cannot open /dev/net/tun: " + describe(e)
                    + (e.getErrorCode() == 13 || e.getErrorCode() == 1 ? " (vnet needs root or CAP_NET_ADMIN)" : ""), e);
        }
        try (Memory ifreq = new Memory(IFREQ_SIZE)) {
            ifreq.clear();
            byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
            ifreq.write(0, bytes, 0, bytes.length);
            ifreq.setShort(IFREQ_FLAGS, (short) (IFF_TAP | IFF_NO_PI | (offloads ? IFF_VNET_HDR : 0)
                    | (multiQueue ? IFF_MULTI_QUEUE : 0)));
            libc.ioctl(fd, new NativeLong(TUNSETIFF), ifreq);
        } catch (LastErrorException e) {
            closeQuietly(fd);
            throw new IOException("cannot create TAP '" + name + "': TUNSETIFF failed: " + describe(e), e);
        }
        if (offloads) {
            try {
                libc.ioctl(fd, new NativeLong(TUNSETOFFLOAD),
                        new NativeLong(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN));
            } catch (LastErrorException e) {
                closeQuietly(fd);
                throw new IOException("cannot create TAP '" + name + "': TUNSETOFFLOAD failed: " + describe(e), e);
            }
        }
        return fd;
    }

    /** Checks an interface name: 1 to 15 characters, no '/', no whitespace, not "." or "..". */
    public static void validateName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("interface name '" + name + "' must be 1 to " + MAX_NAME_LENGTH
                    + " characters");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= ' ' || c >= 0x7F || c == '/' || c == ':') {
                throw new IllegalArgumentException("interface name '" + name + "' contains '" + c
                        + "' (use letters, digits, '-', '_', '.')");
            }
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("interface name '" + name + "' is reserved");
        }
    }

    static void closeQuietly(int fd) {
        try {
            Holder.LIBC.close(fd);
        } catch (LastErrorException ignored) {
            // closing is best effort on an error path
        }
    }

    private static String describe(LastErrorException e) {
        return "errno " + e.getErrorCode() + " (" + e.getMessage() + ")";
    }
}
