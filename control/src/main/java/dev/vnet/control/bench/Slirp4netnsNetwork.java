package dev.vnet.control.bench;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * The NAT shape built by slirp4netns (libslirp, what rootless Podman and Docker used before pasta): the guest's
 * network is 192.168.15.0/24 ({@code --cidr}; slirp4netns gives the guest .100 behind gateway .2, addresses it
 * chooses itself), slirp4netns ends the guest's connections and opens its own from the host namespace, and the
 * uplink's tcp/80 is forwarded into the guest through its API socket ({@code add_hostfwd}), as rootless Docker's
 * {@code -p} does. MTU 65520, the largest it takes; IPv6 on.
 */
final class Slirp4netnsNetwork extends UserNatNetwork {
    private static final String DEV = "tap0";
    /** The guest's address: slirp4netns's fixed .100 of {@code --cidr}. */
    static final String GUEST = "192.168.15.100";

    private Slirp4netnsNetwork(String prefix) {
        super(prefix);
    }

    /** Builds it with namespaces {@code prefix}host, -guest and -lan. */
    static Slirp4netnsNetwork build(String prefix, BenchCleanup cleanup) throws IOException {
        return PeerNetwork.build(new Slirp4netnsNetwork(prefix), cleanup);
    }

    @Override
    public String name() {
        return "slirp4netns";
    }

    @Override
    String variant() {
        return "slirp4netns (libslirp), TAP into the guest, MTU 65520, tcp/80 forwarded by add_hostfwd";
    }

    @Override
    void startStack(String host, String guest, Path dir) throws IOException {
        Path api = dir.resolve("api.sock");
        Process p = startProcess(host, Map.of(), "slirp4netns", "--configure", "--mtu=65520",
                "--disable-host-loopback", "--enable-ipv6", "--cidr=192.168.15.0/24", "--api-socket=" + api,
                "--netns-type=path", "/run/netns/" + guest, DEV);
        awaitAddress(guest, DEV, GUEST, "slirp4netns", p);
        awaitFile(api, "slirp4netns");
        awaitFile(api, "slirp4netns");
        String answer = call(api, "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"tcp\", "
                + "\"host_addr\": \"0.0.0.0\", \"host_port\": " + FORWARDED_PORT + ", \"guest_port\": "
                + FORWARDED_PORT + "}}");
        if (!answer.contains("\"return\"")) {
            throw new IOException("slirp4netns refused the port forward: " + answer.trim());
        }
    }

    /** Sends {@code request} to the API socket {@code api} and returns the answer (slirp4netns closes after it). */
    private static String call(Path api, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(api));
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            ch.shutdownOutput();
            ByteBuffer in = ByteBuffer.allocate(4096);
            while (in.hasRemaining() && ch.read(in) >= 0) {
                // until slirp4netns closes its end
            }
            return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
        }
    }
}
