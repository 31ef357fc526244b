package dev.vnet.control.api;

import dev.vnet.control.capture.FrameFileWriter;
import dev.vnet.control.capture.PcapngFileWriter;
import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.trace.BpfFilter;
import dev.vnet.dataplane.trace.Capture;
import dev.vnet.dataplane.trace.CaptureFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /capture}: starts a capture and streams it to the client as pcapng until the client goes away (or vnet
 * stops), on a thread of its own so the API keeps answering. Query: {@code ports} (comma-separated names or
 * {@code all}; may be empty with {@code drops=1}), {@code dir} ({@code in}, {@code out}, {@code both}; default both),
 * {@code drops=1} (also frames the dataplane drops, the reason as the packet comment), {@code filter} (a tcpdump
 * expression), {@code ring} (frames held for a slow reader, default 4096), {@code snaplen} (default 65535).
 */
final class CaptureStream implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(CaptureStream.class);
    private static final int IDLE_SLEEP_MILLIS = 5;

    private final Dataplane dp;
    private final Capture capture;
    private final SocketChannel client;
    private volatile boolean peerGone;

    private CaptureStream(Dataplane dp, Capture capture, SocketChannel client) {
        this.dp = dp;
        this.capture = capture;
        this.client = client;
    }

    /** Checks the request and starts the capture; throws {@link ApiException} (nothing started) when it is bad. */
    static CaptureStream open(Dataplane dp, Map<String, String> query, SocketChannel client) {
        String dir = query.getOrDefault("dir", "both");
        List<String> ports = new ArrayList<>(Arrays.stream(query.getOrDefault("ports", "").split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).toList());
        boolean drops = "1".equals(query.get("drops")) || "true".equals(query.get("drops"));
        int mask;
        try {
            mask = Capture.mask(dir, !ports.isEmpty(), drops);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "dir " + e.getMessage());
        }
        if (ports.isEmpty() && !drops) {
            throw new ApiException(400, "name the ports to capture ('ports=blue,red' or 'ports=all'), or ask for "
                    + "drops=1");
        }
        int ring = ControlServer.number(query.getOrDefault("ring", "4096"), "ring");
        int snap = ControlServer.number(query.getOrDefault("snaplen", "65535"), "snaplen");
        CaptureFilter filter = BpfFilter.compile(query.get("filter")); // IllegalArgumentException: 400
        try {
            Capture c = dp.startCapture(ports.isEmpty() ? List.of("all") : ports, mask, filter, ring, snap);
            return new CaptureStream(dp, c, client);
        } catch (RuntimeException e) {
            filter.free();
            throw e;
        }
    }

    @Override
    public void run() {
        Thread watcher = new Thread(this::watchPeer, "vnet-capture-" + capture.id() + "-peer");
        watcher.setDaemon(true);
        watcher.start();
        long offsetMicros = FrameFileWriter.wallClockOffsetMicros();
        try {
            String head = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.tcpdump.pcapng\r\nX-Vnet-Capture: "
                    + capture.id() + "\r\nConnection: close\r\n\r\n";
            client.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1)));
            PcapngFileWriter writer = new PcapngFileWriter(Channels.newOutputStream(client), false,
                    capture.snapLength(), "vnet");
            writer.flush();
            while (!peerGone && !capture.stopped()) {
                if (writer.drain(capture, offsetMicros) > 0) {
                    writer.flush();
                } else {
                    Thread.sleep(IDLE_SLEEP_MILLIS);
                }
            }
        } catch (IOException e) {
            log.debug("capture {} reader went away: {}", capture.id(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                dp.stopCapture(capture);
            } catch (RuntimeException e) {
                log.debug("capture {} stop: {}", capture.id(), e.getMessage());
            }
            try {
                client.close();
            } catch (IOException ignored) {
                // the peer is gone already
            }
        }
    }

    /** Notices the client closing its end (it sends nothing after the request). */
    private void watchPeer() {
        ByteBuffer b = ByteBuffer.allocate(256);
        try {
            while (client.read(b) >= 0) {
                b.clear();
            }
        } catch (IOException ignored) {
            // closed either way
        }
        peerGone = true;
    }
}
