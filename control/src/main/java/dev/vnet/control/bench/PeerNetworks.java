package dev.vnet.control.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The peers' networks of one benchmark, built together and closed together (newest first). */
final class PeerNetworks implements AutoCloseable {
    private final List<PeerNetwork> networks = new ArrayList<>();

    private PeerNetworks() {
    }

    /** Builds a network for each of {@code peers}, namespaces {@code prefix} and the peer's tag; none on failure. */
    static PeerNetworks build(List<String> peers, String prefix, BenchCleanup cleanup) throws IOException {
        PeerNetworks all = new PeerNetworks();
        try {
            for (String p : peers) {
                all.networks.add(Peers.build(p, prefix + Peers.namespaceTag(p), cleanup));
            }
        } catch (IOException | RuntimeException e) {
            all.close();
            throw e;
        }
        return all;
    }

    /** The networks, in the order built. */
    List<PeerNetwork> networks() {
        return networks;
    }

    /** The network of peer {@code name}. */
    PeerNetwork get(String name) {
        return networks.stream().filter(n -> n.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no peer network " + name));
    }

    @Override
    public void close() {
        for (int i = networks.size() - 1; i >= 0; i--) {
            networks.get(i).close();
        }
    }
}
