package dev.vnet.control.api;

import com.sun.net.httpserver.HttpServer;
import dev.vnet.dataplane.api.Dataplane;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /metrics} on a TCP address, for a Prometheus that cannot reach the Unix socket; started only when the
 * user asks for it ({@code vnet up --metrics ADDRESS}), read-only, and on loopback unless an address says otherwise.
 * Uses the JDK's own HTTP server: one endpoint needs no more.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);

    private final HttpServer server;

    private MetricsServer(HttpServer server) {
        this.server = server;
    }

    /** Parses {@code PORT} (loopback) or {@code HOST:PORT}. */
    public static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        String host = colon < 0 ? "127.0.0.1" : text.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(colon < 0 ? text : text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("metrics address '" + text + "' should be PORT or HOST:PORT");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("metrics port " + port + " is outside 1-65535");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (IOException e) {
            throw new IllegalArgumentException("metrics host '" + host + "' is not an address: " + e.getMessage());
        }
    }

    /** Serves {@code dataplane}'s metrics on {@code address}. */
    public static MetricsServer start(InetSocketAddress address, Dataplane dataplane) throws IOException {
        HttpServer server = HttpServer.create(address, 8);
        server.createContext("/metrics", exchange -> {
            try (exchange) {
                if (!"GET".equals(exchange.getRequestMethod())) {
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                byte[] body = Metrics.render(dataplane).getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.start();
        log.info("metrics on http://{}:{}/metrics", address.getHostString(), server.getAddress().getPort());
        return new MetricsServer(server);
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
