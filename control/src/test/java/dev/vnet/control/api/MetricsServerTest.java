package dev.vnet.control.api;

import dev.vnet.dataplane.api.BridgeOptions;
import dev.vnet.dataplane.api.Dataplane;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Metrics over TCP: loopback by default, Prometheus text, GET only. */
class MetricsServerTest {
    @Test
    void addressesDefaultToLoopbackAndBadOnesAreNamed() {
        InetSocketAddress a = MetricsServer.address("9100");
        assertTrue(a.getAddress().isLoopbackAddress());
        assertEquals(9100, a.getPort());
        assertEquals("metrics address 'x' should be PORT or HOST:PORT",
                assertThrows(IllegalArgumentException.class, () -> MetricsServer.address("x")).getMessage());
        assertEquals("metrics port 70000 is outside 1-65535",
                assertThrows(IllegalArgumentException.class, () -> MetricsServer.address("70000")).getMessage());
    }

    @Test
    void servesPrometheusTextOnLoopback() throws Exception {
        try (Dataplane dp = Dataplane.start()) {
            dp.addBridge("br0", BridgeOptions.defaults());
            dp.addMemoryPort("a", "br0");
            try (MetricsServer m = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), dp)) {
                HttpClient client = HttpClient.newHttpClient();
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + m.port() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode());
                assertEquals("text/plain; version=0.0.4", r.headers().firstValue("Content-Type").orElse(""));
                assertTrue(r.body().contains("vnet_port_rx_frames_total{port=\"a\",device=\"memory\",bridge=\"br0\"} 0"),
                        r.body());
                HttpResponse<String> post = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + m.port() + "/metrics"))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(405, post.statusCode());
            }
        }
    }
}
