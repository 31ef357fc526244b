package dev.vnet.control.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The switched shape joined by the TAP floor ({@code bench/tap-floor/tap_floor.c}): the least a user-space forwarder
 * between two TAPs can do (a read and a write per frame, one thread per direction, no parsing, no tables), with the
 * virtio-net header and offloads on as vnet opens its TAPs. What it reaches is what the TAP interface itself allows
 * on this machine; vnet's own code sits on top of that. Compiled with the machine's C compiler into this network's
 * directory, its TAPs made in the switch's namespace with {@code ip tuntap ... vnet_hdr}.
 */
final class FloorNetwork extends TapSwitchNetwork {
    /** The C source, packaged from bench/tap-floor (see control's pom). */
    static final String SOURCE = "/dev/vnet/control/bench/tap_floor.c";
    private static final long TIMEOUT = 60;

    private FloorNetwork(String prefix) {
        super(prefix);
    }

    /** Builds it with namespaces {@code prefix}sw, -red and -blue. */
    static FloorNetwork build(String prefix, BenchCleanup cleanup) throws IOException {
        return PeerNetwork.build(new FloorNetwork(prefix), cleanup);
    }

    @Override
    public String name() {
        return "floor";
    }

    @Override
    String variant() {
        return "tap_floor: a read and a write per frame, a blocking thread per direction, offloads on";
    }

    @Override
    void startSwitch(String sw, Path dir) throws IOException {
        Path source = dir.resolve("tap_floor.c");
        try (InputStream in = FloorNetwork.class.getResourceAsStream(SOURCE)) {
            if (in == null) {
                throw new IOException("tap_floor.c is not packaged with vnet (" + SOURCE + ")");
            }
            Files.copy(in, source);
        }
        Path binary = dir.resolve("tap_floor");
        List<String> cc = List.of("cc", "-O2", "-Wall", "-pthread", "-o", binary.toString(), source.toString());
        Proc.run(cc, TIMEOUT).orThrow(cc);
        for (String tap : List.of(TAP_RED, TAP_BLUE)) {
            Proc.check(sw, TIMEOUT, "ip", "tuntap", "add", "dev", tap, "mode", "tap", "vnet_hdr");
        }
        Process p = startProcess(sw, Map.of(), binary.toString(), TAP_RED, TAP_BLUE);
        awaitAttached(sw, p);
    }

    /** Waits until the forwarder holds both TAPs: a TAP without its reader shows NO-CARRIER once it is up. */
    private static void awaitAttached(String sw, Process p) throws IOException {
        for (String tap : List.of(TAP_RED, TAP_BLUE)) {
            Proc.check(sw, TIMEOUT, "ip", "link", "set", tap, "up");
        }
        await(() -> {
            if (!p.isAlive()) {
                throw new IOException("tap_floor exited (" + p.exitValue() + ") before attaching its TAPs");
            }
            String links = Proc.check(sw, TIMEOUT, "ip", "-o", "link", "show");
            return links.contains(TAP_RED) && links.contains(TAP_BLUE) && !links.contains("NO-CARRIER");
        }, "tap_floor did not attach to " + TAP_RED + " and " + TAP_BLUE);
        for (String tap : List.of(TAP_RED, TAP_BLUE)) {
            Proc.check(sw, TIMEOUT, "ip", "link", "set", tap, "down");
        }
    }
}
