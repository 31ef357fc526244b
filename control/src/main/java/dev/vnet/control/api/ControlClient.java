package dev.vnet.control.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The CLI's side of {@link ControlServer}: one GET, the JSON body back, or an error that says what is wrong. */
public final class ControlClient {
    private final Path socket;

    /** A client of the vnet whose state directory is {@code stateDir}. */
    public ControlClient(Path stateDir) {
        this.socket = stateDir.resolve(ControlServer.SOCKET_NAME);
    }

    /** The JSON body of {@code GET path}. */
    public JsonNode get(String path) throws IOException {
        return new ObjectMapper().readTree(send("GET", path, null));
    }

    /** Sends {@code method path} with {@code body} as JSON (or none); returns the response body as JSON. */
    public JsonNode call(String method, String path, Object body) throws IOException {
        return new ObjectMapper().readTree(send(method, path, body));
    }

    /** Sends a request; returns the body of a 2xx response, or throws with the API's error message. */
    public String send(String method, String path, Object body) throws IOException {
        if (!Files.exists(socket)) {
            throw new IOException("no vnet is running (no API socket at " + socket + "); start one with 'vnet up'");
        }
        byte[] payload = body == null ? new byte[0] : new ObjectMapper().writeValueAsBytes(body);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            String head = method + " " + path + " HTTP/1.1\r\nHost: vnet\r\nConnection: close\r\n"
                    + (payload.length > 0 ? "Content-Type: application/json\r\n" : "")
                    + "Content-Length: " + payload.length + "\r\n\r\n";
            ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1)));
            ch.write(ByteBuffer.wrap(payload));
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(16384);
            while (ch.read(buf) >= 0) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            String response = out.toString(StandardCharsets.UTF_8);
            int split = response.indexOf("\r\n\r\n");
            if (split < 0) {
                throw new IOException("vnet answered without a complete HTTP response");
            }
            String status = response.substring(0, response.indexOf("\r\n"));
            String text = response.substring(split + 4);
            int code = Integer.parseInt(status.split(" ")[1]);
            if (code / 100 != 2) {
                throw new IOException(errorOf(text));
            }
            return text;
        } catch (java.net.SocketException e) {
            throw new IOException("no vnet is answering on " + socket + " (" + e.getMessage()
                    + "); is 'vnet up' running?", e);
        }
    }

    /**
     * An open stream from vnet.
     *
     * @param channel the connection, positioned at the body
     * @param captureId the capture's id (header {@code X-Vnet-Capture}), or empty
     */
    public record Stream(SocketChannel channel, String captureId) {
    }

    /**
     * Opens a streaming {@code GET path} (a capture): returns the open connection, positioned at the start of the
     * body, or throws with the API's error message. The caller closes it, which ends the stream on vnet's side.
     */
    public Stream openStream(String path) throws IOException {
        if (!Files.exists(socket)) {
            throw new IOException("no vnet is running (no API socket at " + socket + "); start one with 'vnet up'");
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            String head = "GET " + path + " HTTP/1.1\r\nHost: vnet\r\nConnection: close\r\n\r\n";
            ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1)));
            // Read the response head a byte at a time so that nothing of the body is consumed.
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            ByteBuffer one = ByteBuffer.allocate(1);
            while (!got.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                one.clear();
                if (ch.read(one) < 0) {
                    throw new IOException("vnet closed the connection before answering");
                }
                got.write(one.get(0));
            }
            String status = got.toString(StandardCharsets.ISO_8859_1);
            int code = Integer.parseInt(status.substring(0, status.indexOf("\r\n")).split(" ")[1]);
            if (code != 200) {
                java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(4096);
                while (ch.read(buf) >= 0) {
                    body.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                String text = body.toString(StandardCharsets.UTF_8);
                throw new IOException(errorOf(text));
            }
            String id = status.lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("x-vnet-capture:"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("");
            return new Stream(ch, id);
        } catch (IOException | RuntimeException e) {
            ch.close();
            if (e instanceof java.net.SocketException) {
                throw new IOException("no vnet is answering on " + socket + " (" + e.getMessage()
                        + "); is 'vnet up' running?", e);
            }
            throw e;
        }
    }

    /** The API's error message in a response body: its "error" field, or the body as it came when not JSON. */
    private static String errorOf(String body) {
        try {
            return new ObjectMapper().readTree(body).path("error").asText(body);
        } catch (IOException notJson) {
            return body;
        }
    }
}
