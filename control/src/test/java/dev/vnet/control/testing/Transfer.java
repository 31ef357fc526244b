package dev.vnet.control.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Moves data between namespaces with real tools (OpenBSD nc) and returns what arrived. */
public final class Transfer {
    private Transfer() {
    }

    /** {@code size} pseudo-random bytes, the same for the same {@code seed}. */
    public static byte[] randomBytes(long seed, int size) {
        byte[] d = new byte[size];
        new java.util.Random(seed).nextBytes(d);
        return d;
    }

    /** Asserts that {@code got} is {@code sent}: same length, same SHA-256. */
    public static void assertSameBytes(byte[] sent, byte[] got, String what) throws Exception {
        assertEquals(sent.length, got.length, what + ": bytes");
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        org.junit.jupiter.api.Assertions.assertArrayEquals(sha.digest(sent), sha.digest(got), what + ": SHA-256");
    }

    /** Sends {@code data} over TCP from {@code clientNs} to a one-shot nc server in {@code serverNs}. */
    public static byte[] tcp(String clientNs, String serverNs, String address, int port, byte[] data)
            throws Exception {
        Path in = Files.createTempFile("vnet-send", ".bin");
        Path out = Files.createTempFile("vnet-recv", ".bin");
        Process server = null;
        try {
            Files.write(in, data);
            // An IPv6 address needs an IPv6 listener (nc -l alone listens on IPv4).
            server = new ProcessBuilder("ip", "netns", "exec", serverNs, "nc", address.contains(":") ? "-6l" : "-l",
                    Integer.toString(port))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            assertTrue(Cmd.waitForListener(serverNs, "tcp", port), "nc listens on " + port + " in " + serverNs);
            Process client = new ProcessBuilder("ip", "netns", "exec", clientNs, "nc", "-N", address,
                    Integer.toString(port)).redirectInput(in.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            assertTrue(client.waitFor(120, TimeUnit.SECONDS), "client finished");
            assertEquals(0, client.exitValue(), "nc client exit code");
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "server saw the end of the stream");
            return Files.readAllBytes(out);
        } finally {
            if (server != null && server.isAlive()) {
                server.destroyForcibly().waitFor();
            }
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
        }
    }
}
