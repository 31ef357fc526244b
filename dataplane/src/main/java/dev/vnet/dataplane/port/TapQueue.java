package dev.vnet.dataplane.port;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.util.RateLimitedLog;
import dev.vnet.dataplane.wire.Offload;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * One queue of a TAP device: one descriptor, registered with one Netty epoll event loop, used by that loop only.
 *
 * <p>Reads go straight into pooled direct buffers (one per frame, never copied) until EAGAIN or the read budget is
 * spent; the registration is level-triggered, so a queue that stopped at its budget is reported ready again on the
 * next loop iteration after the other ports had their turn. Writes go out of the same buffers at flush time.
 * A buffer that read nothing is kept for the next read instead of being returned to the pool. After a batch that
 * spent the whole budget the loop pauses briefly before reading again ({@link RxModeration}): bursts stay big under
 * load.
 *
 * <p>With offloads, every read starts with a virtio-net header ({@link Offload}): it is parsed into the frame's offload
 * state and skipped (the frame starts after it in the same buffer), and the read buffer is sized for a 64 KiB
 * super-frame. Every write is a {@code writev} of a header built from the frame's offload state and the frame itself,
 * so a frame is still never copied.
 *
 * <p>Errors: a write to a downed interface (EIO) is counted as {@code link-down}, and the link going down and coming
 * back is logged once each; any other failed write is counted as {@code tx-error}, logged at most once a second; a device that is gone
 * (EPOLLERR/EPOLLHUP, or EBADFD from read, as when its namespace is deleted) takes the queue out of epoll and tells the
 * port, so a vanished namespace never stops other ports or spins the loop.
 */
final class TapQueue implements EpollIoHandle {
    private static final Logger log = LoggerFactory.getLogger(TapQueue.class);
    private static final int TX_RING = 64;
    private static final int EPOLLIN = 0x001;
    private static final int EPOLLERR = 0x008;
    private static final int EPOLLHUP = 0x010;
    private static final int EBADFD = 77;
    private static final int EAGAIN = 11;
    private static final int EIO = 5;
    private static final long LOG_INTERVAL = TimeUnit.SECONDS.toNanos(1);
    /** The largest frame a super-frame can be: a 64 KiB IP packet behind an Ethernet header with one VLAN tag. */
    private static final int MAX_SUPER_FRAME = 65535 + 18;
    /** Frames up to this long are copied out of a super-frame-sized read buffer (see {@link #readBatch}). */
    static final int COPYBREAK = 2048;
    private static final int IOV_AT = 16;
    private static final int SCRATCH = IOV_AT + 2 * 16;

    private final TapPort port;
    private final FileDescriptor fd;
    private final FrameSink sink;
    private final ByteBufAllocator alloc;
    private final int readSize;
    private final int budget;
    private final ByteBuf[] txRing = new ByteBuf[TX_RING];
    private final long[] txOffload = new long[TX_RING];
    private final boolean offloads;
    private final int maxFrame;
    /** Scratch for writev: the header, then two iovecs (header, frame); direct, so the kernel reads it in place. */
    private final ByteBuf writeScratch;
    private final RateLimitedLog readErrors = new RateLimitedLog(log, LOG_INTERVAL);
    private final RateLimitedLog writeErrors = new RateLimitedLog(log, LOG_INTERVAL);
    private int txCount;
    private boolean linkDown;
    private long droppedWhileDown;
    private ByteBuf spare;
    private IoRegistration registration;
    private boolean closed;

    TapQueue(TapPort port, int fd, FrameSink sink, ByteBufAllocator alloc, TapOptions options) {
        this.port = port;
        this.fd = new FileDescriptor(fd);
        this.sink = sink;
        this.alloc = alloc;
        this.offloads = options.offloads();
        this.maxFrame = options.maxFrame();
        // One byte more than the largest read: a read that fills the buffer may have been truncated by the kernel.
        this.readSize = (offloads ? Offload.HEADER_LEN + MAX_SUPER_FRAME : options.maxFrame()) + 1;
        this.budget = options.readBudget();
        this.writeScratch = offloads ? alloc.directBuffer(SCRATCH, SCRATCH) : null;
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    void registered(IoRegistration registration) {
        this.registration = registration;
        registration.submit(io.netty.channel.epoll.EpollIoOps.EPOLLIN);
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        try {
            int ops = ((EpollIoEvent) event).ops().value();
            if ((ops & EPOLLIN) != 0) {
                readBatch();
            }
            if (!closed && (ops & (EPOLLERR | EPOLLHUP)) != 0) {
                fail("the device reported an error or hang-up (interface or namespace removed?)");
            }
        } catch (Throwable t) {
            // Nothing thrown here may reach Netty's loop: it would log it and sleep a second (every port on the loop
            // stalls), or, for an Error, end the loop's thread while the process lives on. The sink counts a
            // RuntimeException and the loop goes on; an Error is reported as the loop's failure.
            sink.failed(port, t);
        }
    }

    private void readBatch() {
        int frames = 0;
        sink.beginBatch();
        try {
            for (; frames < budget && !closed; frames++) { // frames: the reads that returned one
                ByteBuf buf = spare != null ? spare : alloc.directBuffer(readSize, readSize);
                spare = null;
                int n;
                try {
                    n = read(buf);
                } catch (IOException e) {
                    spare = buf;
                    onReadError(e);
                    break;
                }
                if (n <= 0) {
                    spare = buf; // EAGAIN: nothing more this round
                    break;
                }
                long offload = 0;
                int start = 0;
                if (offloads) {
                    if (n < Offload.HEADER_LEN) {
                        port.counters().rxError();
                        spare = buf;
                        continue;
                    }
                    offload = Offload.read(buf, 0);
                    start = Offload.HEADER_LEN;
                }
                int length = n - start;
                port.counters().rx(length);
                if (n >= readSize || (length > maxFrame && !Offload.isGso(offload))) {
                    port.counters().drop(DropReason.OVERSIZE);
                    buf.clear();
                    spare = buf;
                    continue;
                }
                if (offloads && length <= COPYBREAK) {
                    // Copybreak (as NIC drivers' rx_copybreak): a small frame is copied into a buffer its size and the
                    // 64 KiB read buffer kept for the next read, so small frames do not each hold (and make the pool
                    // hand out and take back) a super-frame's worth of memory.
                    buf.clear();
                    spare = buf; // kept whatever happens below: the copy is the frame from here on
                    ByteBuf small = copyOut(buf, start, length);
                    if (small != null) {
                        sink.receive(port, small, offload);
                    }
                    continue;
                }
                buf.setIndex(start, n);
                sink.receive(port, buf, offload);
            }
        } finally {
            sink.endBatch();
        }
        RxModeration.after(frames, budget); // under load, let the next batches stay full (RxModeration says why)
    }

    /**
     * The frame at {@code buf[start, start + length)} in a pooled buffer its size, or null when that allocation
     * threw a {@code RuntimeException} (the frame is dropped as {@code internal-error}, counted by the sink). The
     * content is read from {@code buf} even though its indexes were cleared.
     */
    private ByteBuf copyOut(ByteBuf buf, int start, int length) {
        ByteBuf small;
        try {
            small = alloc.directBuffer(length, length);
        } catch (RuntimeException e) {
            sink.failed(port, e);
            return null;
        }
        try {
            small.writeBytes(buf, start, length);
            return small;
        } catch (RuntimeException | Error e) {
            small.release();
            throw e;
        }
    }

    private int read(ByteBuf buf) throws IOException {
        if (buf.hasMemoryAddress()) {
            return fd.readAddress(buf.memoryAddress(), 0, readSize);
        }
        ByteBuffer nio = buf.internalNioBuffer(0, readSize);
        return fd.read(nio, nio.position(), nio.position() + readSize);
    }

    private void onReadError(IOException e) {
        int errno = errno(e);
        if (errno == EAGAIN) {
            return;
        }
        port.counters().rxError();
        if (errno == EBADFD) {
            fail("the device is gone (EBADFD)");
            return;
        }
        readErrors.warn(System.nanoTime(), "port " + port.name() + ": read failed: {}", e.getMessage());
    }

    void enqueue(ByteBuf frame, long offload) {
        if (closed) {
            port.counters().drop(DropReason.PORT_CLOSED);
            frame.release();
            return;
        }
        if (txCount == TX_RING) {
            flush();
        }
        txOffload[txCount] = offload;
        txRing[txCount++] = frame;
    }

    boolean offloads() {
        return offloads;
    }

    void flush() {
        int count = txCount;
        txCount = 0;
        int i = 0;
        try {
            for (; i < count; i++) {
                ByteBuf frame = txRing[i];
                txRing[i] = null;
                write(frame, txOffload[i]); // releases the frame, even when it throws
            }
        } finally {
            for (i++; i < count; i++) { // a write threw: the frames after it are dropped, not leaked
                if (txRing[i] != null) {
                    port.counters().drop(DropReason.TX_ERROR);
                    txRing[i].release();
                    txRing[i] = null;
                }
            }
        }
    }

    private void write(ByteBuf frame, long offload) {
        int length = frame.readableBytes();
        try {
            if (closed) {
                port.counters().drop(DropReason.PORT_CLOSED);
                return;
            }
            int written = offloads ? writeWithHeader(frame, offload) : writeOut(frame);
            if (written == length) {
                port.counters().tx(length);
                if (linkDown) {
                    linkDown = false;
                    log.info("port {}: link is up again ({} frames dropped as link-down meanwhile)", port.name(),
                            droppedWhileDown);
                }
            } else if (written == 0) {
                port.counters().drop(DropReason.TX_FULL);
            } else {
                port.counters().drop(DropReason.TX_ERROR);
            }
        } catch (IOException e) {
            if (errno(e) == EIO) {
                // The interface is down: expected while a namespace is being set up or is down on purpose.
                // Logged when the state changes, not per frame.
                port.counters().drop(DropReason.LINK_DOWN);
                if (!linkDown) {
                    linkDown = true;
                    droppedWhileDown = 0;
                    log.info("port {}: link is down (the kernel refuses writes); frames to it are dropped as link-down",
                            port.name());
                }
                droppedWhileDown++;
            } else {
                port.counters().drop(DropReason.TX_ERROR);
                writeErrors.warn(System.nanoTime(), "port " + port.name() + ": write failed: {}", e.getMessage());
            }
        } finally {
            frame.release();
        }
    }

    private int writeOut(ByteBuf frame) throws IOException {
        int from = frame.readerIndex();
        int to = frame.writerIndex();
        if (frame.hasMemoryAddress()) {
            return fd.writeAddress(frame.memoryAddress(), from, to);
        }
        ByteBuffer nio = frame.internalNioBuffer(from, to - from);
        return fd.write(nio, nio.position(), nio.limit());
    }

    /** The frame behind a virtio-net header, in one writev; returns the frame bytes written. */
    private int writeWithHeader(ByteBuf frame, long offload) throws IOException {
        int from = frame.readerIndex();
        int length = frame.readableBytes();
        if (!frame.hasMemoryAddress()) {
            // Not direct memory (never a buffer the dataplane read or built): one copy, header included.
            ByteBuf copy = alloc.directBuffer(Offload.HEADER_LEN + length);
            try {
                copy.writerIndex(Offload.HEADER_LEN);
                Offload.write(copy, 0, offload);
                copy.writeBytes(frame, from, length);
                int n = writeOut(copy);
                return n <= 0 ? n : n - Offload.HEADER_LEN;
            } finally {
                copy.release();
            }
        }
        Offload.write(writeScratch, 0, offload);
        long scratch = writeScratch.memoryAddress();
        writeScratch.setLongLE(IOV_AT, scratch);
        writeScratch.setLongLE(IOV_AT + 8, Offload.HEADER_LEN);
        writeScratch.setLongLE(IOV_AT + 16, frame.memoryAddress() + from);
        writeScratch.setLongLE(IOV_AT + 24, length);
        long n = fd.writevAddresses(scratch + IOV_AT, 2);
        return n <= 0 ? (int) n : (int) n - Offload.HEADER_LEN;
    }

    private static int errno(IOException e) {
        if (e instanceof Errors.NativeIoException nie) {
            return -nie.expectedErr();
        }
        return 0;
    }

    private void fail(String why) {
        log.warn("port {}: {}; the port stops, the others go on", port.name(), why);
        close();
        port.queueFailed(this, why);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            closeNow();
        } finally {
            port.queueClosed();
        }
    }

    private void closeNow() {
        if (registration != null) {
            registration.cancel();
        }
        for (int i = 0; i < txCount; i++) {
            port.counters().drop(DropReason.PORT_CLOSED);
            txRing[i].release();
            txRing[i] = null;
        }
        txCount = 0;
        if (spare != null) {
            spare.release();
            spare = null;
        }
        if (writeScratch != null) {
            writeScratch.release();
        }
        try {
            fd.close();
        } catch (IOException e) {
            log.debug("port {}: close: {}", port.name(), e.getMessage());
        }
    }

    boolean isClosed() {
        return closed;
    }
}
