package dev.vnet.control.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The NAT shape built by pasta (the passt project's user-mode stack for namespaces, what Podman uses by default):
 * the guest gets red's addresses (192.168.15.1/24 and fd00:15::1 behind gateways 192.168.15.5 and fd00:15::5, the
 * lab's), pasta ends its TCP, UDP and ICMP and opens its own from the host namespace, and forwards the uplink's
 * tcp/80 into it. Started as root it would drop to nobody and then cannot enter the namespaces: it keeps root
 * ({@code --runas 0}); {@code --no-map-gw} keeps the gateway's address from meaning the host's loopback; no other
 * port is forwarded in either direction.
 */
final class PastaNetwork extends UserNatNetwork {
    private static final String DEV = "eth0";

    private PastaNetwork(String prefix) {
        super(prefix);
    }

    /** Builds it with namespaces {@code prefix}host, -guest and -lan. */
    static PastaNetwork build(String prefix, BenchCleanup cleanup) throws IOException {
        return PeerNetwork.build(new PastaNetwork(prefix), cleanup);
    }

    @Override
    public String name() {
        return "pasta";
    }

    @Override
    String variant() {
        return "pasta (passt), TAP into the guest, MTU 65520, tcp/80 forwarded, --no-map-gw";
    }

    @Override
    void startStack(String host, String guest, Path dir) throws IOException {
        Process p = startProcess(host, Map.of(), "pasta", "--foreground", "--quiet", "--runas", "0",
                "--log-file", dir.resolve("pasta.log").toString(), "--netns-only", "--netns", "/run/netns/" + guest,
                "--config-net", "--interface", "uplink", "--ns-ifname", DEV, "--no-map-gw",
                "--address", "192.168.15.1", "--netmask", "24", "--gateway", "192.168.15.5",
                "--address", "fd00:15::1", "--gateway", "fd00:15::5",
                "--tcp-ports", Integer.toString(FORWARDED_PORT), "--udp-ports", "none", "--tcp-ns", "none",
                "--udp-ns", "none");
        awaitAddress(guest, DEV, "192.168.15.1", "pasta", p);
    }
}
