package dev.vnet.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.vnet.dataplane.ConflictException;
import dev.vnet.dataplane.api.CaptureEntry;
import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.api.FlowTuple;
import dev.vnet.control.topology.ForwardTarget;
import dev.vnet.dataplane.api.ForwardProtocol;
import dev.vnet.dataplane.api.IpProtocol;
import dev.vnet.dataplane.wire.IpAddress;
import dev.vnet.dataplane.wire.IpPrefix;
import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Address;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import dev.vnet.dataplane.wire.Ipv6Address;
import dev.vnet.dataplane.wire.Ipv6Cidr;
import dev.vnet.dataplane.wire.MacAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URLDecoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The running vnet's API: HTTP/1.1 with JSON bodies on a Unix domain socket only root may use (mode 0600), so
 * {@code curl --unix-socket /run/vnet/vnet.sock http://vnet/routes} works, and the {@code vnet} commands are its
 * clients. One request per connection. Resources (docs/api.md lists them with examples):
 * <ul>
 *   <li>GET /ports /fdb /neigh /routes /conntrack /nat /stats, and /metrics (Prometheus text);</li>
 *   <li>GET, POST, DELETE /forwards; POST, DELETE /routes; POST, DELETE /fdb;</li>
 *   <li>GET /capture: a live capture streamed as pcapng ({@link CaptureStream}); GET /captures lists them;</li>
 *   <li>GET /decisions: decision traces streamed as text ({@link DecisionStream}).</li>
 * </ul>
 * Errors come back as {@code {"error": "..."}} with 400 (bad input), 404 (no such thing), 405 (wrong method) or
 * 409 (conflicts with what exists).
 */
public final class ControlServer implements AutoCloseable {
    /** File name of the socket inside the state directory. */
    public static final String SOCKET_NAME = "vnet.sock";
    /** The IPv6 addresses of an attach request ({@code "addresses6": ["fd00:15::3/64"]}), none when absent. */
    private static java.util.List<dev.vnet.dataplane.wire.Ipv6Cidr> addresses6(JsonNode list) {
        java.util.List<dev.vnet.dataplane.wire.Ipv6Cidr> out = new java.util.ArrayList<>();
        for (JsonNode a : list) {
            out.add(dev.vnet.dataplane.wire.Ipv6Cidr.parse(a.asText()));
        }
        return out;
    }

    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    private static final int MAX_HEAD = 16384;
    private static final int MAX_BODY = 65536;

    /** A parsed request. */
    record Request(String method, String path, Map<String, String> query, JsonNode body) {
        String param(String name) {
            String v = query.get(name);
            if (v == null && body != null && body.hasNonNull(name)) {
                v = body.get(name).asText();
            }
            if (v == null || v.isBlank()) {
                throw new ApiException(400, "missing '" + name + "'");
            }
            return v;
        }
    }

    /** What a handler answers: a status and a body (JSON, or text when it is a String for /metrics). */
    record Response(int status, Object body) {
    }

    @FunctionalInterface
    interface Handler {
        Response handle(Request request);
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final Map<String, Map<String, Handler>> resources = new LinkedHashMap<>();
    private final ObjectMapper json = jsonMapper();
    private final Thread thread;
    private final Dataplane dataplane;
    private volatile boolean closed;

    private ControlServer(Path path, ServerSocketChannel server, Dataplane dp, NamespaceManager lab) {
        this.path = path;
        this.server = server;
        this.dataplane = dp;
        get("/captures", r -> ok(dp.captures().stream().map(ControlServer::captureJson).toList()));
        get("/ports", r -> ok(portsWithKernelDrops(lab)));
        get("/fdb", r -> {
            Map<String, Object> all = new LinkedHashMap<>();
            dp.bridgeNames().forEach(b -> all.put(b, dp.fdb(b)));
            return ok(all);
        });
        on("POST", "/fdb", r -> {
            dp.addStaticFdb(r.param("bridge"), MacAddress.parse(r.param("mac")), r.param("port"));
            return new Response(201, Map.of("added", r.param("mac") + " -> " + r.param("port")));
        });
        on("DELETE", "/fdb", r -> found(dp.removeFdb(r.param("bridge"), MacAddress.parse(r.param("mac"))),
                "no FDB entry " + r.param("mac") + " on " + r.param("bridge")));
        get("/neigh", r -> ok(dp.neighbors()));
        get("/routes", r -> ok(dp.routes()));
        on("POST", "/routes", r -> {
            dp.addRoute(IpPrefix.parse(r.param("to")), IpAddress.parse(r.param("via")));
            return new Response(201, Map.of("added", r.param("to") + " via " + r.param("via")));
        });
        on("DELETE", "/routes", r -> found(dp.removeRoute(IpPrefix.parse(r.param("to"))),
                "no static route to " + r.param("to")));
        get("/conntrack", r -> ok(dp.connections()));
        on("DELETE", "/conntrack", r -> ok(Map.of("flushed", dp.flushConnections())));
        get("/nat", r -> ok(dp.natRules()));
        get("/policy", r -> ok(dp.policy()));
        get("/forwards", r -> ok(dp.portForwardRules()));
        on("POST", "/forwards", r -> {
            int[] ports = ports(r.param("port"));
            ForwardTarget to = ForwardTarget.parse(r.param("to"), ports[0]);
            ForwardProtocol protocol = ForwardProtocol.parse(r.param("protocol"));
            List<IpAddress> targets = to.name() == null ? List.of(to.address())
                    : namedTargets(dp, lab, to, r.param("on"));
            List<String> added = new java.util.ArrayList<>();
            for (IpAddress target : targets) {
                added.addAll(dp.addPortForward(protocol, r.param("on"), ports[0], ports[1], target, to.port()));
            }
            return new Response(201, Map.of("added", added));
        });
        on("DELETE", "/forwards", r -> {
            List<String> removed = dp.removePortForward(ForwardProtocol.parse(r.param("protocol")), r.param("on"),
                    ports(r.param("port"))[0]);
            if (removed.isEmpty()) {
                throw new ApiException(404, "no " + r.param("protocol") + " forward on " + r.param("on") + " port "
                        + r.param("port"));
            }
            return ok(Map.of("removed", removed));
        });
        get("/stats", r -> {
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("pipeline", dp.pipelineCounters());
            all.put("poll", dp.pollMode().cliName());
            all.put("loops", dp.loopReceived());
            all.put("router", dp.routerCounters());
            all.put("conntrack", dp.conntrackCounters());
            Map<String, Object> fdb = new LinkedHashMap<>();
            dp.bridgeNames().forEach(b -> fdb.put(b, dp.fdbCounters(b)));
            all.put("fdb", fdb);
            all.put("ports", dp.portStats());
            return ok(all);
        });
        get("/metrics", r -> ok(Metrics.render(dp)));
        if (lab != null) {
            get("/namespaces", r -> ok(lab.namespaces()));
            on("POST", "/policy", r -> {
                JsonNode b = r.body() == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : r.body();
                java.util.List<String> states = new java.util.ArrayList<>();
                b.path("state").forEach(s -> states.add(s.asText()));
                if (b.path("state").isTextual()) {
                    states.add(b.path("state").asText());
                }
                var running = lab.running();
                var rule = dev.vnet.control.topology.PolicySpec.Rule.of(named(running, text(b, "from")),
                        named(running, text(b, "to")),
                        text(b, "protocol"), text(b, "port"), text(b, "type"), states,
                        b.hasNonNull("forwarded") ? b.get("forwarded").asBoolean() : null, text(b, "action"),
                        text(b, "reject-with"), b.path("log").asBoolean(false));
                var current = running.policy();
                java.util.List<dev.vnet.control.topology.PolicySpec.Rule> rules =
                        new java.util.ArrayList<>(current.rules());
                int at = b.hasNonNull("position") ? b.get("position").asInt() : rules.size() + 1;
                if (at < 1 || at > rules.size() + 1) {
                    throw new ApiException(400, "position " + at + " is outside 1.." + (rules.size() + 1));
                }
                rules.add(at - 1, rule);
                lab.setPolicy(new dev.vnet.control.topology.PolicySpec(current.defaultAction(), rules));
                return new Response(201, Map.of("added", at + ": " + rule.describe()));
            });
            on("DELETE", "/policy", r -> {
                var current = lab.running().policy();
                int n = number(r.param("number"), "number");
                if (n < 1 || n > current.rules().size()) {
                    throw new ApiException(404, "no rule " + n + " (there are " + current.rules().size() + ")");
                }
                java.util.List<dev.vnet.control.topology.PolicySpec.Rule> rules =
                        new java.util.ArrayList<>(current.rules());
                var gone = rules.remove(n - 1);
                lab.setPolicy(new dev.vnet.control.topology.PolicySpec(current.defaultAction(), rules));
                return ok(Map.of("removed", n + ": " + gone.describe()));
            });
            get("/topology", r -> ok(dev.vnet.control.topology.TopologyDocument.tree(lab.running())));
            on("POST", "/namespaces", r -> {
                JsonNode body = r.body() == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance()
                        : r.body();
                dev.vnet.control.topology.NamespaceSpec spec = new dev.vnet.control.topology.NamespaceSpec(
                        r.param("name"), r.param("bridge"),
                        r.query().getOrDefault("interface", body.path("interface").asText("eth0")),
                        dev.vnet.dataplane.wire.Ipv4Cidr.parse(r.param("address")),
                        body.path("mtu").asInt(1500),
                        body.hasNonNull("default-route")
                                ? dev.vnet.dataplane.wire.Ipv4Addr.parse(body.get("default-route").asText()) : 0,
                        body.path("offloads").asBoolean(true), addresses6(body.path("addresses6")),
                        body.hasNonNull("default-route6")
                                ? Ipv6Address.parse(body.get("default-route6").asText()) : null);
                try {
                    lab.attach(spec);
                } catch (IllegalArgumentException | IllegalStateException e) {
                    throw e;
                } catch (Exception e) {
                    throw new ApiException(500, "attach failed: " + e.getMessage());
                }
                return new Response(201, Map.of("attached", spec.name()));
            });
            on("DELETE", "/namespaces", r -> {
                try {
                    return found(lab.detach(r.param("name")), "no attached namespace " + r.param("name"));
                } catch (ApiException e) {
                    throw e;
                } catch (Exception e) {
                    throw new ApiException(500, "detach failed: " + e.getMessage());
                }
            });
        }
        this.thread = new Thread(this::serve, "vnet-api");
        this.thread.setDaemon(true);
    }

    private void get(String resource, Handler h) {
        on("GET", resource, h);
    }

    private void on(String method, String resource, Handler h) {
        resources.computeIfAbsent(resource, k -> new LinkedHashMap<>()).put(method, h);
    }

    /**
     * Jackson, writing the dataplane's typed values as users write them (192.168.15.0/24, 192.168.1.3, tcp,
     * 192.168.15.1:40000 -> 192.168.1.3:80): the
     * values are typed up to here, and this edge prints them.
     */
    private static ObjectMapper jsonMapper() {
        SimpleModule values = new SimpleModule();
        ToStringSerializer text = ToStringSerializer.instance;
        values.addSerializer(Ipv4Cidr.class, text);
        values.addSerializer(Ipv4Address.class, text);
        values.addSerializer(Ipv6Cidr.class, text);
        values.addSerializer(Ipv6Address.class, text);
        values.addSerializer(ForwardProtocol.class, text);
        values.addSerializer(IpProtocol.class, text);
        values.addSerializer(FlowTuple.class, text);
        values.addSerializer(MacAddress.class, text);
        return new ObjectMapper().registerModule(values);
    }

    /** A capture as {@code GET /captures} lists it (an error only for a failed one). */
    private static Map<String, Object> captureJson(CaptureEntry c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("ports", c.ports());
        m.put("filter", c.filter());
        m.put("captured", c.captured());
        m.put("capture-drops", c.captureDrops());
        m.put("state", c.state());
        if (c.error() != null) {
            m.put("error", c.error());
        }
        return m;
    }

    private static Response ok(Object body) {
        return new Response(200, body);
    }

    private static Response found(boolean removed, String notFound) {
        if (!removed) {
            throw new ApiException(404, notFound);
        }
        return ok(Map.of("removed", true));
    }

    /** {@code text} as a whole number, or a 400 naming {@code what}. */
    static int number(String text, String what) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new ApiException(400, what + " '" + text + "' is not a number");
        }
    }

    /**
     * The addresses a forward to a namespace's name reaches it by: its IPv4 address, and its IPv6 one when the
     * forward's interface {@code on} has IPv6 (as the topology file's {@code to: blue} does).
     */
    private static List<IpAddress> namedTargets(Dataplane dp, NamespaceManager lab, ForwardTarget to, String on) {
        if (lab == null) {
            throw new ApiException(400, "to: '" + to.name() + "' names a namespace, which only a running lab has");
        }
        java.util.Set<String> ipv6Interfaces = new java.util.HashSet<>();
        dp.routes().stream().filter(r -> r.prefix() instanceof Ipv6Cidr && r.gateway() == null)
                .forEach(r -> ipv6Interfaces.add(r.iface()));
        return to.forward(ForwardProtocol.TCP, on, 1, 1, lab.running().namespaces(), ipv6Interfaces).targets();
    }

    /**
     * A rule's endpoint as the running topology names it: a namespace given without the lab's prefix ({@code red}
     * for {@code lab2-red}) is the one namespace (or namespace behind an uplink) whose name ends so.
     */
    private static String named(dev.vnet.control.topology.Topology t, String text) {
        if (text == null) {
            return null;
        }
        java.util.List<String> names = new java.util.ArrayList<>();
        t.namespaces().forEach(n -> names.add(n.name()));
        t.uplinks().stream().filter(u -> !u.inRootNamespace()).forEach(u -> names.add(u.namespace()));
        if (names.contains(text)) {
            return text;
        }
        java.util.List<String> prefixed = names.stream().filter(n -> n.endsWith(text)).toList();
        return prefixed.size() == 1 ? prefixed.get(0) : text;
    }

    /** A JSON field as text, or null when absent. */
    private static String text(JsonNode b, String field) {
        return b.hasNonNull(field) ? b.get(field).asText() : null;
    }

    private static int[] ports(String text) {
        int dash = text.indexOf('-');
        int low = number(dash < 0 ? text : text.substring(0, dash), "port");
        int high = dash < 0 ? low : number(text.substring(dash + 1), "port");
        return new int[] {low, high};
    }

    /**
     * Every port's counters, with the frames the kernel dropped in front of its TAP (the queue to vnet was full)
     * added to its drops as {@code kernel-tap-queue-full}.
     */
    private List<Map<String, Object>> portsWithKernelDrops(NamespaceManager lab) {
        Map<String, Long> kernel = lab == null ? Map.of() : lab.kernelTapDrops();
        List<Map<String, Object>> out = new ArrayList<>();
        for (dev.vnet.dataplane.api.PortStats p : dataplane.portStats()) {
            Map<String, Object> m = json.convertValue(p, new com.fasterxml.jackson.core.type.TypeReference<>() { });
            Long k = kernel.get(p.name());
            if (k != null && k > 0) {
                Map<String, Long> drops = new LinkedHashMap<>(p.drops());
                drops.put("kernel-tap-queue-full", k);
                m.put("drops", drops);
            }
            out.add(m);
        }
        return out;
    }

    /** Serves {@code dataplane} on {@code <stateDir>/vnet.sock}, replacing a stale socket file. */
    public static ControlServer start(Path stateDir, Dataplane dataplane) throws IOException {
        return start(stateDir, dataplane, null);
    }

    /** As {@link #start(Path, Dataplane)}, with namespaces attached and detached through {@code lab}. */
    public static ControlServer start(Path stateDir, Dataplane dataplane, NamespaceManager lab) throws IOException {
        Files.createDirectories(stateDir);
        Path path = stateDir.resolve(SOCKET_NAME);
        Files.deleteIfExists(path); // a dead run's socket: 'vnet up' already made sure no vnet is alive
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        ControlServer s = new ControlServer(path, server, dataplane, lab);
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
            SocketChannel client = null;
            boolean handedOver = false;
            try {
                client = server.accept();
                handedOver = handle(client);
            } catch (IOException e) {
                if (!closed) {
                    log.warn("API connection failed: {}", e.getMessage());
                }
            } catch (RuntimeException e) {
                log.warn("API request failed: {}", e.toString());
            } finally {
                if (client != null && !handedOver) {
                    try {
                        client.close();
                    } catch (IOException ignored) {
                        // nothing more to say to this client
                    }
                }
            }
        }
    }

    /** Answers one request; true when a stream took the connection over (it closes it when done). */
    private boolean handle(SocketChannel client) throws IOException {
        Request request;
        try {
            request = read(client);
        } catch (ApiException e) {
            respond(client, new Response(e.status(), Map.of("error", e.getMessage())));
            return false;
        }
        boolean capture = "/capture".equals(request.path());
        if ((capture || "/decisions".equals(request.path())) && "GET".equals(request.method())) {
            Runnable stream;
            try {
                stream = capture ? CaptureStream.open(dataplane, request.query(), client)
                        : DecisionStream.open(dataplane, request.query(), client);
            } catch (ApiException e) {
                respond(client, new Response(e.status(), Map.of("error", e.getMessage())));
                return false;
            } catch (IllegalArgumentException e) {
                respond(client, new Response(400, Map.of("error", String.valueOf(e.getMessage()))));
                return false;
            }
            Thread t = new Thread(stream, "vnet-api-stream");
            t.setDaemon(true);
            t.start();
            return true;
        }
        Map<String, Handler> methods = resources.get(request.path());
        Response response;
        if (methods == null) {
            response = new Response(404, Map.of("error", "no resource " + request.path(), "resources",
                    resources.keySet()));
        } else if (!methods.containsKey(request.method())) {
            response = new Response(405, Map.of("error", request.method() + " is not allowed on " + request.path()
                    + " (allowed: " + String.join(", ", methods.keySet()) + ")"));
        } else {
            try {
                response = methods.get(request.method()).handle(request);
            } catch (ApiException e) {
                response = new Response(e.status(), Map.of("error", e.getMessage()));
            } catch (ConflictException e) { // well-formed, but at odds with what is there
                response = new Response(409, Map.of("error", String.valueOf(e.getMessage())));
            } catch (IllegalArgumentException e) {
                response = new Response(400, Map.of("error", String.valueOf(e.getMessage())));
            } catch (IllegalStateException e) {
                response = new Response(409, Map.of("error", String.valueOf(e.getMessage())));
            }
            if (!"GET".equals(request.method()) && response.status() < 300) {
                log.info("API {} {}: {}", request.method(), request.path(), response.body());
            }
        }
        respond(client, response);
        return false;
    }

    private Request read(SocketChannel client) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(4096);
        int headEnd = -1;
        while (headEnd < 0) {
            buf.clear();
            if (client.read(buf) < 0) {
                break;
            }
            raw.write(buf.array(), 0, buf.position());
            headEnd = raw.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
            if (raw.size() > MAX_HEAD && headEnd < 0) {
                throw new ApiException(400, "request head too large");
            }
        }
        String all = raw.toString(StandardCharsets.ISO_8859_1);
        if (headEnd < 0) {
            throw new ApiException(400, "incomplete request");
        }
        String[] lines = all.substring(0, headEnd).split("\r\n");
        String[] first = lines[0].split(" ");
        if (first.length < 2) {
            throw new ApiException(400, "malformed request line");
        }
        int length = 0;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0 && lines[i].substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                length = number(lines[i].substring(colon + 1), "Content-Length");
            }
        }
        if (length > MAX_BODY) {
            throw new ApiException(400, "body too large");
        }
        byte[] bytes = raw.toByteArray();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(bytes, headEnd + 4, bytes.length - headEnd - 4);
        while (body.size() < length) {
            buf.clear();
            if (client.read(buf) < 0) {
                break;
            }
            body.write(buf.array(), 0, buf.position());
        }
        JsonNode json = null;
        if (length > 0) {
            try {
                json = this.json.readTree(body.toByteArray());
            } catch (IOException e) {
                throw new ApiException(400, "body is not JSON: " + e.getMessage());
            }
        }
        String target = first[1];
        int q = target.indexOf('?');
        Map<String, String> query = new LinkedHashMap<>();
        if (q >= 0) {
            for (String pair : target.substring(q + 1).split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    query.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return new Request(first[0], q < 0 ? target : target.substring(0, q), query, json);
    }

    private void respond(SocketChannel client, Response response) throws IOException {
        boolean text = response.body() instanceof String;
        byte[] bytes = text ? ((String) response.body()).getBytes(StandardCharsets.UTF_8)
                : (json.writerWithDefaultPrettyPrinter().writeValueAsString(response.body()) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        String reason = switch (response.status()) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 500 -> "Internal Server Error";
            default -> "Error";
        };
        String head = "HTTP/1.1 " + response.status() + " " + reason + "\r\nContent-Type: "
                + (text ? "text/plain; version=0.0.4" : "application/json") + "\r\nContent-Length: " + bytes.length
                + "\r\nConnection: close\r\n\r\n";
        client.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1)));
        client.write(ByteBuffer.wrap(bytes));
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
