package dev.vnet.control.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vnet.dataplane.api.Dataplane;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The running vnet's read API: HTTP/1.1 with JSON bodies on a Unix domain socket that only root may use (mode 0600).
 * {@code curl --unix-socket /run/vnet/vnet.sock http://vnet/routes} works against it, and the {@code vnet} show
 * commands are its clients. Read-only for now: GET /ports, /fdb, /neigh, /routes, /conntrack, /nat,
 * /stats. One request per
 * connection; errors come back as JSON {@code {"error": "..."}} with a fitting status.
 */
public final class ControlServer implements AutoCloseable {
    /** File name of the socket inside the state directory. */
    public static final String SOCKET_NAME = "vnet.sock";
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    private static final int MAX_REQUEST = 8192;

    private final Path path;
    private final ServerSocketChannel server;
    private final Map<String, Supplier<Object>> routes = new LinkedHashMap<>();
    private final ObjectMapper json = new ObjectMapper();
    private final Thread thread;
    private volatile boolean closed;

    private ControlServer(Path path, ServerSocketChannel server, Dataplane dataplane) {
        this.path = path;
        this.server = server;
        routes.put("/ports", dataplane::portStats);
        routes.put("/fdb", () -> {
            Map<String, Object> all = new LinkedHashMap<>();
            for (String b : dataplane.bridgeNames()) {
                all.put(b, dataplane.fdb(b));
            }
            return all;
        });
        routes.put("/neigh", dataplane::neighbors);
        routes.put("/routes", dataplane::routes);
        routes.put("/conntrack", dataplane::connections);
        routes.put("/nat", dataplane::natRules);
        routes.put("/stats", () -> {
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("pipeline", dataplane.pipelineCounters());
            all.put("conntrack", dataplane.conntrackCounters());
            return all;
        });
        this.thread = new Thread(this::serve, "vnet-api");
        this.thread.setDaemon(true);
    }

    /** Serves {@code dataplane} on {@code <stateDir>/vnet.sock}, replacing a stale socket file. */
    public static ControlServer start(Path stateDir, Dataplane dataplane) throws IOException {
        Files.createDirectories(stateDir);
        Path path = stateDir.resolve(SOCKET_NAME);
        Files.deleteIfExists(path); // a dead run's socket: 'vnet up' already made sure no vnet is alive
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        ControlServer s = new ControlServer(path, server, dataplane);
        s.thread.start();
        log.info("API on {}", path);
        return s;
    }

    /** The socket's path. */
    public Path path() {
        return path;
    }

    private void serve() {
        while (!closed) {
            try (SocketChannel client = server.accept()) {
                handle(client);
            } catch (IOException e) {
                if (!closed) {
                    log.warn("API connection failed: {}", e.getMessage());
                }
            } catch (RuntimeException e) {
                log.warn("API request failed: {}", e.toString());
            }
        }
    }

    private void handle(SocketChannel client) throws IOException {
        String request = readHead(client);
        String[] line = request.lines().findFirst().orElse("").split(" ");
        if (line.length < 2) {
            respond(client, 400, Map.of("error", "malformed request line"));
            return;
        }
        String target = line[1];
        int query = target.indexOf('?');
        String resource = query < 0 ? target : target.substring(0, query);
        Supplier<Object> handler = routes.get(resource);
        if (handler == null) {
            respond(client, 404, Map.of("error", "no resource " + resource, "resources", routes.keySet()));
        } else if (!line[0].equals("GET")) {
            respond(client, 405, Map.of("error", line[0] + " is not allowed on " + resource + " (read-only for now)"));
        } else {
            try {
                respond(client, 200, handler.get());
            } catch (RuntimeException e) {
                respond(client, 503, Map.of("error", String.valueOf(e.getMessage())));
            }
        }
    }

    private static String readHead(SocketChannel client) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(MAX_REQUEST);
        while (buf.hasRemaining()) {
            if (client.read(buf) < 0) {
                break;
            }
            String sofar = new String(buf.array(), 0, buf.position(), StandardCharsets.ISO_8859_1);
            if (sofar.contains("\r\n\r\n") || sofar.contains("\n\n")) {
                break;
            }
        }
        return new String(buf.array(), 0, buf.position(), StandardCharsets.ISO_8859_1);
    }

    private void respond(SocketChannel client, int status, Object body) throws IOException {
        byte[] bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
        String reason = switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            default -> "Service Unavailable";
        };
        String head = "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: application/json\r\nContent-Length: "
                + (bytes.length + 1) + "\r\nConnection: close\r\n\r\n";
        client.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1)));
        client.write(ByteBuffer.wrap(bytes));
        client.write(ByteBuffer.wrap(new byte[] {'\n'}));
    }

    /** Stops serving and removes the socket file. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", path, e.getMessage());
        }
    }
}
