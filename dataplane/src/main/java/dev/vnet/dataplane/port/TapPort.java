package dev.vnet.dataplane.port;

import dev.vnet.dataplane.loop.LoopThread;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.util.concurrent.Future;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * A port backed by a TAP device: the namespace side sees an ordinary Ethernet interface, vnet sees its frames.
 *
 * <p>The device is created in the caller's namespace under {@link #interfaceName()} and may then be moved into another
 * namespace with iproute2; the descriptors keep working. It disappears when the port is closed (or the process dies).
 * A port is built from queues, one {@link TapQueue} per event loop: with one loop a plain TAP, with more a
 * multi-queue TAP whose queue {@code i} is read and written only by loop {@code i}. A loop sends through its own
 * queue ({@link LoopThread#currentIndex()}), so the kernel's flow steering brings a flow's replies back to the loop
 * that sent it.
 */
public final class TapPort extends DevicePort {
    private final String interfaceName;
    private final TapOptions options;
    private final TapQueue[] queues;
    private final IoEventLoop[] queueLoops;
    private final AtomicInteger openQueues;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile BiConsumer<TapPort, String> failureListener = (p, why) -> { };
    private volatile boolean failed;

    private TapPort(int id, String name, TunDevice.OpenedQueues device, TapOptions options, FrameSink[] sinks,
                    ByteBufAllocator alloc) {
        super(id, name);
        this.interfaceName = device.name();
        this.options = options;
        this.queues = new TapQueue[device.fds().length];
        for (int q = 0; q < queues.length; q++) {
            queues[q] = new TapQueue(this, device.fds()[q], sinks[q], alloc, options);
        }
        this.queueLoops = new IoEventLoop[queues.length];
        this.openQueues = new AtomicInteger(queues.length);
    }

    /**
     * Creates TAP {@code interfaceName} and a port named {@code name} on it, delivering frames to {@code sink}.
     * The port reads nothing until {@link #register}ed with an event loop.
     */
    public static TapPort open(int id, String name, String interfaceName, TapOptions options, FrameSink sink,
                               ByteBufAllocator alloc) throws IOException {
        return open(id, name, interfaceName, options, new FrameSink[] {sink}, alloc);
    }

    /**
     * As {@link #open(int, String, String, TapOptions, FrameSink, ByteBufAllocator)} with one queue per entry of
     * {@code sinks} (a multi-queue TAP when there are several): queue {@code i} delivers to {@code sinks[i]}, the
     * pipeline of loop {@code i}.
     */
    public static TapPort open(int id, String name, String interfaceName, TapOptions options, FrameSink[] sinks,
                               ByteBufAllocator alloc) throws IOException {
        TunDevice.OpenedQueues device = TunDevice.openTap(interfaceName, options.offloads(), sinks.length);
        return new TapPort(id, name, device, options, sinks, alloc);
    }

    /** Joins {@code loop}'s epoll set (a single-queue port); the future completes once the port is reading. */
    public Future<Void> register(IoEventLoop loop) {
        return register(new IoEventLoop[] {loop});
    }

    /** Queue {@code i} joins {@code loops[i]}'s epoll set; the future completes once every queue is reading. */
    public Future<Void> register(IoEventLoop[] loops) {
        if (loops.length == queues.length) {
            System.arraycopy(loops, 0, queueLoops, 0, loops.length);
        }
        return LoopRegistration.registerAll(loops, queues, (r, q) -> queues[q].registered(r));
    }

    /** The TAP device's interface name. */
    public String interfaceName() {
        return interfaceName;
    }

    @Override
    public String device() {
        return interfaceName;
    }

    /** The options it was opened with. */
    public TapOptions options() {
        return options;
    }

    /** The number of queues (event loops serving the port). */
    public int queueCount() {
        return queues.length;
    }

    /** True once the device went away under the port. */
    public boolean failed() {
        return failed;
    }

    /** Called (on the loop of the queue that saw it) when the device goes away under the port, with the reason. */
    public void onFailure(BiConsumer<TapPort, String> listener) {
        this.failureListener = listener;
    }

    void queueFailed(TapQueue q, String why) {
        failed = true;
        failureListener.accept(this, why);
    }

    void queueClosed() {
        if (openQueues.decrementAndGet() == 0) {
            closed.complete(null);
        }
    }

    private TapQueue queue() {
        return queues[LoopThread.currentIndex()];
    }

    @Override
    public void enqueue(ByteBuf frame) {
        queue().enqueue(frame, 0);
    }

    /** A namespace's or the host's interface: a tenant ({@link Port#tenant}). */
    @Override
    public boolean tenant() {
        return true;
    }

    @Override
    public boolean acceptsOffloads() {
        return options.offloads();
    }

    @Override
    public void enqueue(ByteBuf frame, long offload) {
        queue().enqueue(frame, offload);
    }

    @Override
    public void flush() {
        queue().flush();
    }

    /**
     * Closes every queue, each on its own loop (a queue's descriptor and registration belong to it), so this may
     * return before they are closed: {@link #closedFuture()} completes when the last one is (and the TAP is gone).
     */
    @Override
    public void close() {
        for (int q = 0; q < queues.length; q++) {
            TapQueue queue = queues[q];
            IoEventLoop loop = queueLoops[q];
            if (loop == null || loop.inEventLoop() || loop.isShuttingDown()) {
                queue.close();
            } else {
                loop.execute(queue::close);
            }
        }
    }

    /** Completes once every queue is closed. */
    public CompletableFuture<Void> closedFuture() {
        return closed;
    }
}
