package dev.vnet.dataplane.loop;

import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategy;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The dataplane's event loops (one Netty epoll loop per thread, {@link LoopThread}s 0 .. n-1) and the barrier that
 * makes changes to shared state safe.
 *
 * <p>Frames are forwarded by every loop at once, each on its own queues, reading the shared tables without locks.
 * Everything else that changes what the loops read (ports, bridges, routes, NAT rules, captures, and the removal of
 * table entries by aging) runs {@link #call at the barrier}, as VPP's worker barrier does: the task runs on loop 0
 * while every other loop waits, parked between two read batches, so no frame is in flight anywhere and the loops see
 * the change when they resume (the latches order the memory). With one loop the barrier costs nothing.
 *
 * <p>A loop's failure (an {@code Error} thrown on it, by a read batch or a periodic task, or a loop thread that ended
 * while the loops were not being shut down) is never left unseen: it is logged as an error and handed to the handler
 * set with {@link #onFailure}, which for {@code vnet up} removes what was created and exits non-zero.
 */
public final class Loops {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Loops.class);
    private static final long PARK_TIMEOUT_SECONDS = 10;

    private final MultiThreadIoEventLoopGroup group;
    private final IoEventLoop[] loops;
    private int depth; // barrier tasks running on loop 0 (nested calls do not park again)
    private volatile boolean shuttingDown;
    private final java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();
    private volatile java.util.function.Consumer<Throwable> onFailure = t -> { };

    /** Starts {@code count} loops named {@code name-0} ..., each waiting for frames as {@code poll} says. */
    public Loops(int count, PollMode poll, String name) {
        if (count < 1 || count > LoopThread.MAX_LOOPS) {
            throw new IllegalArgumentException("loops must be 1.." + LoopThread.MAX_LOOPS + ", not " + count);
        }
        this.group = new MultiThreadIoEventLoopGroup(count, LoopThread.factory(name), switch (poll) {
            case SLEEP -> EpollIoHandler.newFactory();
            case ADAPTIVE -> EpollIoHandler.newFactory(0, AdaptivePoll::new);
            case BUSY -> EpollIoHandler.newFactory(0, () -> (selectSupplier, hasTasks) -> SelectStrategy.BUSY_WAIT);
        });
        this.loops = new IoEventLoop[count];
        for (int i = 0; i < count; i++) {
            loops[i] = (IoEventLoop) group.next();
        }
        // Start the threads in loop order, so that loop i runs on LoopThread i; check it.
        for (int i = 0; i < count; i++) {
            int expected = i;
            int actual = get(loops[i].submit(LoopThread::currentIndex));
            if (actual != expected) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                throw new IllegalStateException("loop " + expected + " runs on loop thread " + actual);
            }
        }
        for (int i = 0; i < count; i++) {
            int index = i;
            loops[i].terminationFuture().addListener(f -> {
                if (!shuttingDown) {
                    failed(new IllegalStateException("event loop " + index + " ended while vnet was running"
                            + (f.cause() == null ? "" : ": " + f.cause())));
                }
            });
        }
    }

    /**
     * Sets what is done when a loop fails (after it is logged): called with what was thrown, possibly more than
     * once and from any thread; it must not wait for the loops.
     */
    public void onFailure(java.util.function.Consumer<Throwable> handler) {
        this.onFailure = handler;
    }

    /**
     * Reports a loop's failure: logged as an error (with its stack trace the first time; a loop that keeps failing
     * until vnet has stopped does not flood the log), then handed to the {@link #onFailure} handler.
     */
    public void failed(Throwable t) {
        if (failures.getAndIncrement() == 0) {
            log.error("a dataplane loop failed ({}): {}", Thread.currentThread().getName(), t.toString(), t);
        } else {
            log.error("a dataplane loop failed again ({}): {}", Thread.currentThread().getName(), t.toString());
        }
        try {
            onFailure.accept(t);
        } catch (RuntimeException e) {
            log.error("the loop failure handler threw: {}", e.toString());
        }
    }

    /** The number of loops. */
    public int count() {
        return loops.length;
    }

    /** Loop {@code i}. */
    public IoEventLoop loop(int i) {
        return loops[i];
    }

    /** Every loop, in index order (a copy). */
    public IoEventLoop[] all() {
        return loops.clone();
    }

    /** True once shutting down (or once loop 0 has stopped, which it does only then or when it failed). */
    public boolean isShuttingDown() {
        return shuttingDown || loops[0].isShuttingDown();
    }

    /**
     * Runs {@code task} at the barrier and returns its result: on loop 0 with every other loop parked. Called from
     * loop 0 (or from a task at the barrier) it runs at once; it must not be called from another loop, which would
     * wait for itself (use {@link #executeAtBarrier} there).
     */
    public <T> T call(Callable<T> task, long timeoutSeconds) {
        if (loops[0].inEventLoop()) {
            try {
                return atBarrier(task);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        if (Thread.currentThread() instanceof LoopThread) {
            throw new IllegalStateException("a dataplane loop cannot wait for the barrier");
        }
        try {
            return loops[0].submit(() -> atBarrier(task)).get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the dataplane", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(cause.getMessage(), cause);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the dataplane did not answer within " + timeoutSeconds + " s", e);
        }
    }

    /** Runs {@code task} at the barrier later, from any thread (a loop's callback, for one); errors are logged. */
    public void executeAtBarrier(Runnable task) {
        loops[0].execute(() -> runAtBarrierLogged(task, "a dataplane task"));
    }

    /** Runs {@code task} at the barrier every {@code period} (first after one period); cancel the returned future. */
    public ScheduledFuture<?> scheduleAtBarrier(Runnable task, long period, TimeUnit unit) {
        return loops[0].scheduleAtFixedRate(() -> runAtBarrierLogged(task, "a periodic dataplane task"), period,
                period, unit);
    }

    /** On loop 0: runs {@code task} at the barrier; a failure is logged, never thrown into the loop. */
    private void runAtBarrierLogged(Runnable task, String what) {
        try {
            atBarrier(() -> {
                task.run();
                return null;
            });
        } catch (Exception e) {
            log.warn("{} failed: {}", what, e.toString());
        } catch (Error e) {
            // Netty would log it and, for a periodic task, never run it again: the tables would stop aging unseen.
            failed(e);
        }
    }

    private <T> T atBarrier(Callable<T> task) throws Exception {
        if (loops.length == 1 || depth > 0) {
            depth++;
            try {
                return task.call();
            } finally {
                depth--;
            }
        }
        CountDownLatch parked = new CountDownLatch(loops.length - 1);
        CountDownLatch resume = new CountDownLatch(1);
        for (int i = 1; i < loops.length; i++) {
            loops[i].execute(() -> {
                parked.countDown();
                awaitUninterruptibly(resume);
            });
        }
        try {
            if (!parked.await(PARK_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the dataplane loops did not stop for a change within "
                        + PARK_TIMEOUT_SECONDS + " s");
            }
            depth++;
            try {
                return task.call();
            } finally {
                depth--;
            }
        } finally {
            resume.countDown();
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static <T> T get(io.netty.util.concurrent.Future<T> f) {
        try {
            return f.get(PARK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("a dataplane loop did not start: " + e, e);
        }
    }

    /** Stops every loop (waiting up to two seconds). */
    public void shutdown() {
        shuttingDown = true;
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
