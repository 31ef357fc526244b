package dev.vnet.control.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A one-shot TCP server (OpenBSD nc) in a namespace that answers {@code reply} and reports the peer it saw. */
public final class NcServer implements AutoCloseable {
    private final Process process;
    private final Path err;

    /** Listens on {@code port} in {@code ns}, over IPv4 or ({@code ipv6}) IPv6. */
    public NcServer(String ns, int port, String reply, boolean ipv6) throws Exception {
        err = Files.createTempFile("vnet-nc", ".err");
        Path in = Files.createTempFile("vnet-nc", ".in");
        Files.writeString(in, reply);
        process = new ProcessBuilder("ip", "netns", "exec", ns, "nc", ipv6 ? "-6lnv" : "-lnv", Integer.toString(port))
                .redirectInput(in.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile()).start();
        Files.delete(in);
        assertTrue(Cmd.waitForListener(ns, "tcp", port), "nc listening on tcp/" + port + " in " + ns);
    }

    /** An IPv4 server. */
    public NcServer(String ns, int port, String reply) throws Exception {
        this(ns, port, reply, false);
    }

    /** What nc said about the connection, e.g. "Connection received on 192.168.1.2 40000". */
    public String peer() throws Exception {
        process.waitFor(10, TimeUnit.SECONDS);
        return Files.readString(err);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(err);
    }
}
