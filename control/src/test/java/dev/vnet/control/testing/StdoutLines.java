package dev.vnet.control.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The standard output of a {@code vnet up} a test started, read line by line on a thread of its own, so the test can
 * wait for "vnet: running" and later read what it printed on its way out.
 */
public final class StdoutLines {
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final CompletableFuture<Boolean> running = new CompletableFuture<>();
    private final Thread reader;

    /** Starts reading {@code p}'s standard output. */
    public StdoutLines(Process p) {
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                    if (line.startsWith("vnet: running")) {
                        running.complete(true);
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
            running.complete(false);
        }, "vnet-stdout-" + p.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /** True once vnet said it runs, false if its output ended first or {@code seconds} passed. */
    public boolean awaitRunning(long seconds) throws Exception {
        try {
            return running.get(seconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    /** Waits for the last lines (read after the process ended), at most {@code millis}. */
    public void awaitEnd(long millis) throws InterruptedException {
        reader.join(millis);
    }

    /** The lines so far (the live list: synchronized). */
    public List<String> lines() {
        return lines;
    }

    @Override
    public String toString() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }
}
