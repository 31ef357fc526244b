package dev.vnet.control.api;

import dev.vnet.dataplane.wire.Ipv4Addr;
import dev.vnet.dataplane.wire.Ipv4Cidr;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.api.Dataplane;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The API against a real dataplane with in-memory ports (no root needed): reads, changes and every error status. */
class ControlServerTest {
    @TempDir
    Path dir;
    private Dataplane dp;
    private ControlServer server;
    private ControlClient client;

    @BeforeEach
    void start() throws IOException {
        dp = Dataplane.start();
        dp.addBridge("br0", BridgeOptions.defaults());
        dp.addGateway("br0", Ipv4Cidr.parse("192.168.15.5/24"), 1500);
        dp.addMemoryPort("a", "br0");
        server = ControlServer.start(dir, dp);
        client = new ControlClient(dir);
    }

    @AfterEach
    void stop() {
        server.close();
        dp.close();
    }

    @Test
    void aConfigurationChangeIsLoggedOnceAndFramesAreNotLogged() throws IOException {
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            client.call("POST", "/routes", Map.of("to", "198.51.100.0/24", "via", "192.168.15.7"));
            long station = dev.vnet.dataplane.wire.MacAddr.parse("02:00:00:00:00:01");
            long gateway = dev.vnet.dataplane.wire.MacAddr.parse("ff:ff:ff:ff:ff:ff");
            for (int i = 0; i < 500; i++) {
                // Routed frames (whose next hop never answers ARP) and runts that are dropped: none may log.
                dp.inject("a", dev.vnet.dataplane.testing.FrameBuilder.udp(gateway, station,
                        dev.vnet.dataplane.wire.Ipv4Addr.parse("192.168.15.1"),
                        dev.vnet.dataplane.wire.Ipv4Addr.parse("198.51.100.9"), 1000 + i, 53, new byte[8]));
                dp.inject("a", dev.vnet.dataplane.testing.FrameBuilder.of(new byte[10]));
            }
            dp.portStats(); // a round trip through the loop: every frame above has been handled
        } finally {
            System.setErr(stderr);
        }
        List<String> lines = captured.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        assertEquals(1, lines.stream().filter(l -> l.contains("route 198.51.100.0/24 via 192.168.15.7")).count(),
                "the change is in the log once: " + lines);
        assertTrue(lines.size() <= 4, "a handful of lines, not one per frame: " + lines);
    }

    @Test
    void theSocketIsRootOnly() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(server.path())));
    }

    @Test
    void forwardsAreAddedListedAndRemoved() throws IOException {
        JsonNode added = client.call("POST", "/forwards", Map.of("protocol", "both", "on", "br0", "port", "8000-8001",
                "to", "192.168.15.1:80"));
        assertEquals("tcp 192.168.15.5:8000-8001 -> 192.168.15.1:80-81", added.path("added").get(0).asText());
        assertEquals("udp 192.168.15.5:8000-8001 -> 192.168.15.1:80-81", added.path("added").get(1).asText());
        assertEquals(2, client.get("/forwards").size());
        IOException conflict = assertThrows(IOException.class, () -> client.call("POST", "/forwards",
                Map.of("protocol", "tcp", "on", "br0", "port", "8001", "to", "192.168.15.2")));
        assertTrue(conflict.getMessage().contains("overlaps"), conflict.getMessage());
        client.call("DELETE", "/forwards?protocol=tcp&on=br0&port=8000", null);
        assertEquals(1, client.get("/forwards").size());
        IOException gone = assertThrows(IOException.class, () -> client.call("DELETE",
                "/forwards?protocol=tcp&on=br0&port=8000", null));
        assertEquals("no tcp forward on br0 port 8000", gone.getMessage());
    }

    @Test
    void routesAndStaticFdbEntriesChangeAtRuntime() throws IOException {
        client.call("POST", "/routes", Map.of("to", "10.9.0.0/16", "via", "192.168.15.7"));
        assertTrue(client.get("/routes").toString().contains("10.9.0.0/16"));
        client.call("DELETE", "/routes?to=10.9.0.0/16", null);
        assertTrue(!client.get("/routes").toString().contains("10.9.0.0/16"));
        IOException connected = assertThrows(IOException.class, () -> client.call("DELETE",
                "/routes?to=192.168.15.0/24", null));
        assertTrue(connected.getMessage().contains("is connected"), connected.getMessage());
        client.call("POST", "/fdb", Map.of("bridge", "br0", "mac", "02:00:00:00:00:aa", "port", "a"));
        assertTrue(client.get("/fdb").path("br0").toString().contains("02:00:00:00:00:aa"));
        client.call("DELETE", "/fdb?bridge=br0&mac=02:00:00:00:00:aa", null);
        assertTrue(!client.get("/fdb").path("br0").toString().contains("02:00:00:00:00:aa"));
    }

    @Test
    void aRouteIsRemovedByItsExactPrefixEvenWithALongerOneInside() throws IOException {
        // 10.9.0.0/24 lies inside 10.9.0.0/16: removing the /16 once looked up 10.9.0.0 by longest prefix, found the
        // /24, and answered that there was no route to 10.9.0.0/16.
        client.call("POST", "/routes", Map.of("to", "10.9.0.0/16", "via", "192.168.15.7"));
        client.call("POST", "/routes", Map.of("to", "10.9.0.0/24", "via", "192.168.15.8"));
        client.call("DELETE", "/routes?to=10.9.0.0/16", null);
        String routes = client.get("/routes").toString();
        assertTrue(!routes.contains("10.9.0.0/16") && routes.contains("10.9.0.0/24"), "only the /16 went: " + routes);
        IOException gone = assertThrows(IOException.class, () -> client.call("DELETE", "/routes?to=10.9.0.0/16",
                null));
        assertEquals("no static route to 10.9.0.0/16", gone.getMessage());
    }

    @Test
    void errorsComeBackAsJsonWithFittingStatuses() throws IOException {
        assertEquals("missing 'via'", assertThrows(IOException.class,
                () -> client.call("POST", "/routes", Map.of("to", "10.9.0.0/16"))).getMessage());
        assertEquals("gateway 203.0.113.1 of route 10.9.0.0/16 is not on any of the router's subnets",
                assertThrows(IOException.class, () -> client.call("POST", "/routes",
                        Map.of("to", "10.9.0.0/16", "via", "203.0.113.1"))).getMessage());
        assertEquals("no router interface 'nope' (known: br0)", assertThrows(IOException.class,
                () -> client.call("POST", "/forwards", Map.of("protocol", "tcp", "on", "nope", "port", "1",
                        "to", "192.168.15.1"))).getMessage());
        assertTrue(assertThrows(IOException.class, () -> client.send("PUT", "/routes", null)).getMessage()
                .contains("PUT is not allowed on /routes (allowed: GET, POST, DELETE)"));
        assertTrue(assertThrows(IOException.class, () -> client.get("/nope")).getMessage()
                .contains("no resource /nope"));
    }

    /** The HTTP status vnet answers {@code method path} with {@code json} as the body. */
    private int status(String method, String path, String json) throws IOException {
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(dir.resolve(ControlServer.SOCKET_NAME)));
            byte[] body = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            String head = method + " " + path + " HTTP/1.1\r\nHost: vnet\r\nConnection: close\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
            ch.write(java.nio.ByteBuffer.wrap(head.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
            ch.write(java.nio.ByteBuffer.wrap(body));
            java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(64);
            while (in.position() < 12 && ch.read(in) >= 0) {
                // the status line's first 12 bytes: "HTTP/1.1 409"
            }
            return Integer.parseInt(new String(in.array(), 9, 3, java.nio.charset.StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void theStatusComesFromTheErrorsTypeNotItsWording() throws IOException {
        String forward = "{\"protocol\": \"tcp\", \"on\": \"br0\", \"port\": \"8000\", \"to\": \"192.168.15.1\"}";
        assertEquals(201, status("POST", "/forwards", forward));
        assertEquals(409, status("POST", "/forwards", forward), "an overlapping forward is a conflict");
        assertEquals(400, status("POST", "/forwards", forward.replace("br0", "nope")), "a bad interface is not");
    }

    @Test
    void statsSayHowTheLoopsWaitAndCountPerLoop() throws IOException {
        var stats = client.get("/stats");
        assertEquals("sleep", stats.path("poll").asText(), stats.toString());
        assertEquals(1, stats.path("loops").size(), stats.toString());
    }

    @Test
    void metricsAreInPrometheusTextFormat() throws IOException {
        String metrics = client.send("GET", "/metrics", null);
        assertTrue(metrics.contains("# TYPE vnet_port_rx_frames_total counter\n"), metrics);
        assertTrue(metrics.contains("vnet_port_rx_frames_total{port=\"a\",device=\"memory\",bridge=\"br0\"} 0\n"),
                metrics);
        assertTrue(metrics.contains("vnet_conntrack_max 65536\n"), metrics);
        assertTrue(metrics.contains("vnet_fdb_entries{bridge=\"br0\"} 1\n"), "the router's static entry: " + metrics);
        assertTrue(metrics.contains("vnet_neighbors{family=\"ipv6\"} 0\n"), metrics);
        assertTrue(metrics.contains("vnet_conntrack_ipv6_addresses 0\n"), metrics);
    }
}
