package dev.vnet.dataplane.nat;

import dev.vnet.dataplane.conntrack.ConnTable;
import dev.vnet.dataplane.conntrack.FlowKey;

import java.util.random.RandomGenerator;

/**
 * Chooses the translated source port (or ICMP echo identifier) of a new source-NATed connection as netfilter does
 * (nf_nat_l4proto_unique_tuple): keep the original port when the resulting reply tuple is unused; otherwise search
 * the original port's class (1-511, 600-1023, 1024-65535; identifiers 0-65535) from a random offset for one whose
 * reply tuple is unused, trying at most 240 ports (see {@link #choose}). Uniqueness is on the full reply tuple (protocol, both addresses, both ports), so many
 * connections share one port as long as they go to different destinations.
 */
public final class PortAllocator {
    /** {@link #choose} found no free port in the class. */
    public static final int EXHAUSTED = -1;
    /** Ports tried from the first random offset; each further round tries half as many, down to 16. */
    static final int MAX_ATTEMPTS = 128;

    private final RandomGenerator random;

    /** An allocator drawing its random offsets from {@code random}. */
    public PortAllocator(RandomGenerator random) {
        this.random = random;
    }

    /**
     * A port such that the reply tuple {@code remote:remotePort -> natAddress:port} is unused in {@code table}, or
     * {@link #EXHAUSTED}.
     *
     * @param protocol     6, 17, or 1 (ICMP: "ports" are echo identifiers, see {@link FlowKey})
     * @param originalPort the port the connection came with
     */
    public int choose(ConnTable table, long now, int protocol, int remote, int remotePort, int natAddress,
                      int originalPort) {
        return choose(table, now, protocol, remote, remotePort, natAddress, originalPort, 0);
    }

    /** As {@link #choose(ConnTable, long, int, int, int, int, int)} for a tuple of {@code family} (0 or V6). */
    public int choose(ConnTable table, long now, int protocol, int remote, int remotePort, int natAddress,
                      int originalPort, long family) {
        if (free(table, now, protocol, remote, remotePort, natAddress, originalPort, family)) {
            return originalPort;
        }
        int low;
        int high;
        if (FlowKey.isIcmp(protocol)) {
            low = 0;
            high = 65535;
        } else if (originalPort < 512) {
            low = 1;
            high = 511;
        } else if (originalPort < 1024) {
            low = 600;
            high = 1023;
        } else {
            low = 1024;
            high = 65535;
        }
        int span = high - low + 1;
        // Bounded as netfilter bounds it (nf_nat_l4proto_unique_tuple): 128 ports from a random offset, then 64, 32
        // and 16 from new offsets, at most 240 lookups. A search over the whole class would cost tens of thousands
        // of lookups per new connection when it is nearly full, which a SYN flood would turn into a denial of
        // service; so a class almost full is reported exhausted a little early, as in the kernel.
        int attempts = Math.min(span, MAX_ATTEMPTS);
        int offset = random.nextInt(span);
        while (true) {
            for (int i = 0; i < attempts; i++) {
                int port = low + (offset + i) % span;
                if (free(table, now, protocol, remote, remotePort, natAddress, port, family)) {
                    return port;
                }
            }
            if (attempts >= span || attempts < 16) {
                return EXHAUSTED;
            }
            attempts /= 2;
            offset = random.nextInt(span);
        }
    }

    /**
     * True when no live connection's reply tuple is {@code remote:remotePort -> natAddress:port} of {@code protocol}
     * (ICMP: identifier {@code port}).
     */
    static boolean free(ConnTable table, long now, int protocol, int remote, int remotePort, int natAddress, int port,
                        long family) {
        long hi = FlowKey.hi(remote, natAddress);
        long lo = FlowKey.isIcmp(protocol) ? FlowKey.lo(protocol, 0, port) : FlowKey.lo(protocol, remotePort, port);
        return !table.inUse(hi, lo | family, now);
    }
}
