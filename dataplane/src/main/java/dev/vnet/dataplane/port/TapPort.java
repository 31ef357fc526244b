package dev.vnet.dataplane.port;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

import java.io.IOException;
import java.util.function.BiConsumer;

/**
 * A port backed by a TAP device: the namespace side sees an ordinary Ethernet interface, vnet sees its frames.
 *
 * <p>The device is created in the caller's namespace under {@link #interfaceName()} and may then be moved into another
 * namespace with iproute2; the descriptor keeps working. It disappears when the port is closed (or the process dies).
 * A port is built from queues: one today; a multi-queue port adds one {@link TapQueue} per event loop without changing
 * this class's surface.
 */
public final class TapPort extends Port {
    private final String interfaceName;
    private final TapOptions options;
    private final TapQueue queue;
    private volatile BiConsumer<TapPort, String> failureListener = (p, why) -> { };
    private volatile boolean failed;

    private TapPort(int id, String name, TunDevice.Opened device, TapOptions options, FrameSink sink,
                    ByteBufAllocator alloc) {
        super(id, name);
        this.interfaceName = device.name();
        this.options = options;
        this.queue = new TapQueue(this, device.fd(), sink, alloc, options);
    }

    /**
     * Creates TAP {@code interfaceName} and a port named {@code name} on it, delivering frames to {@code sink}.
     * The port reads nothing until {@link #register}ed with an event loop.
     */
    public static TapPort open(int id, String name, String interfaceName, TapOptions options, FrameSink sink,
                               ByteBufAllocator alloc) throws IOException {
        TunDevice.Opened device = TunDevice.openTap(interfaceName, options.offloads());
        return new TapPort(id, name, device, options, sink, alloc);
    }

    /** Joins {@code loop}'s epoll set; the future completes once the port is reading. */
    public Future<Void> register(IoEventLoop loop) {
        Promise<Void> done = loop.newPromise();
        loop.register(queue).addListener(f -> {
            if (!f.isSuccess()) {
                done.setFailure(f.cause());
                return;
            }
            queue.registered((io.netty.channel.IoRegistration) f.getNow());
            done.setSuccess(null);
        });
        return done;
    }

    /** The TAP device's interface name. */
    public String interfaceName() {
        return interfaceName;
    }

    /** The options it was opened with. */
    public TapOptions options() {
        return options;
    }

    /** True once the device went away under the port. */
    public boolean failed() {
        return failed;
    }

    /** Called (on the event loop) when the device goes away under the port, with the reason. */
    public void onFailure(BiConsumer<TapPort, String> listener) {
        this.failureListener = listener;
    }

    void queueFailed(TapQueue q, String why) {
        failed = true;
        failureListener.accept(this, why);
    }

    @Override
    public void enqueue(ByteBuf frame) {
        queue.enqueue(frame, 0);
    }

    @Override
    public boolean acceptsOffloads() {
        return queue.offloads();
    }

    @Override
    public void enqueue(ByteBuf frame, long offload) {
        queue.enqueue(frame, offload);
    }

    @Override
    public void flush() {
        queue.flush();
    }

    @Override
    public void close() {
        queue.close();
    }
}
