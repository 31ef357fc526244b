package dev.vnet.dataplane.port;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandle;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.Promise;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ObjIntConsumer;

/** Registers a port's per-loop handles (TAP queues, VXLAN sockets) each with its own event loop. */
public final class LoopRegistration {
    private LoopRegistration() {
    }

    /**
     * Handle {@code i} joins {@code loops[i]}'s epoll set; {@code registered} gets each registration on that loop (to
     * start reading), and the future completes once every handle is registered, or fails with the first failure.
     */
    public static Future<Void> registerAll(IoEventLoop[] loops, IoHandle[] handles,
                                           ObjIntConsumer<IoRegistration> registered) {
        if (loops.length != handles.length) {
            throw new IllegalArgumentException(handles.length + " handles, " + loops.length + " loops");
        }
        Promise<Void> done = GlobalEventExecutor.INSTANCE.newPromise();
        AtomicInteger pending = new AtomicInteger(handles.length);
        for (int i = 0; i < handles.length; i++) {
            int index = i;
            loops[i].register(handles[i]).addListener(f -> { // runs on the handle's loop
                if (!f.isSuccess()) {
                    done.tryFailure(f.cause());
                    return;
                }
                registered.accept((IoRegistration) f.getNow(), index);
                if (pending.decrementAndGet() == 0) {
                    done.trySuccess(null);
                }
            });
        }
        return done;
    }
}
