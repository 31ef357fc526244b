package dev.vnet.control.bench;

import java.io.PrintStream;
import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * What a running {@code vnet bench} must undo if it is interrupted (Ctrl-C, SIGTERM): a shutdown hook that, while the
 * benchmark runs, removes every network it has started building (newest first) and stops its background servers.
 * Without it an interrupted benchmark left its namespaces behind: the JVM runs hooks on a signal, not the
 * benchmark's own cleanup. Every undo step must be safe to run twice (a network's close is).
 */
final class BenchCleanup implements AutoCloseable {
    private final Deque<Runnable> undo = new ConcurrentLinkedDeque<>();
    private final Thread hook;

    /** Arms the hook; it says what it does on {@code progress}. */
    BenchCleanup(PrintStream progress) {
        this.hook = new Thread(() -> {
            progress.println();
            progress.println("vnet bench: interrupted; removing its networks");
            progress.flush();
            Proc.stopAll();
            Runnable r;
            while ((r = undo.pollFirst()) != null) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    progress.println("vnet bench: cleanup: " + e.getMessage());
                }
            }
            progress.println("vnet bench: removed");
            progress.flush();
        }, "vnet-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Registers {@code step} to run on an interruption, before every step registered earlier. */
    void onInterrupt(Runnable step) {
        undo.addFirst(step);
    }

    /** The benchmark ended (its networks are closed): disarms the hook. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down already: the hook runs
        }
    }
}
