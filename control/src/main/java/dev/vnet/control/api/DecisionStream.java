package dev.vnet.control.api;

import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.trace.BpfFilter;
import dev.vnet.dataplane.trace.CaptureFilter;
import dev.vnet.dataplane.trace.DecisionTrace;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code GET /decisions?count=N&filter=EXPR}: traces the decisions for the next N frames the filter takes and streams
 * each finished trace as text, on a thread of its own. Ends once N frames were traced (after a short wait for the
 * parts of them that continue inside vnet) or when the client goes away.
 */
final class DecisionStream implements Runnable {
    /** How long to wait for continuations (the router's part of a bridged frame) after the last frame. */
    private static final long SETTLE_MILLIS = 300;

    private final Dataplane dp;
    private final DecisionTrace trace;
    private final SocketChannel client;

    private DecisionStream(Dataplane dp, DecisionTrace trace, SocketChannel client) {
        this.dp = dp;
        this.trace = trace;
        this.client = client;
    }

    /** Checks the request and starts the trace; throws (nothing started) when it is bad or a trace is running. */
    static DecisionStream open(Dataplane dp, Map<String, String> query, SocketChannel client) {
        long count;
        try {
            count = Long.parseLong(query.getOrDefault("count", "10").trim());
        } catch (NumberFormatException e) {
            throw new ApiException(400, "count '" + query.get("count") + "' is not a number");
        }
        if (count < 1) {
            throw new ApiException(400, "count must be at least 1");
        }
        CaptureFilter filter = BpfFilter.compile(query.get("filter"));
        try {
            return new DecisionStream(dp, dp.startTrace(filter, count), client);
        } catch (IllegalStateException e) {
            filter.free();
            throw new ApiException(409, e.getMessage());
        }
    }

    @Override
    public void run() {
        try {
            client.write(ByteBuffer.wrap(("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)));
            long quietSince = 0;
            while (client.isOpen()) {
                String t = trace.poll(50);
                if (t != null) {
                    client.write(ByteBuffer.wrap(t.getBytes(StandardCharsets.UTF_8)));
                    quietSince = 0;
                } else if (trace.countReached()) {
                    long now = System.nanoTime();
                    if (quietSince == 0) {
                        quietSince = now;
                    } else if (now - quietSince > SETTLE_MILLIS * 1_000_000) {
                        break;
                    }
                }
            }
            if (trace.lost() > 0) {
                client.write(ByteBuffer.wrap((trace.lost() + " traces lost: the reader was too slow\n")
                        .getBytes(StandardCharsets.UTF_8)));
            }
        } catch (IOException e) {
            // the reader went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                dp.stopTrace(trace);
            } catch (RuntimeException ignored) {
                // vnet is stopping
            }
            try {
                client.close();
            } catch (IOException ignored) {
                // nothing more to say
            }
        }
    }
}
