package dev.vnet.control.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The switched shape built by a user-space switch that is not vnet (a peer): red (192.168.15.1) and blue
 * (192.168.15.2) each have a TAP whose other end a switch process holds, as vnet's namespaces do. The switch runs in
 * a namespace of its own ({@code prefix}sw), where its TAPs are made before they move to red and blue. Only the L2
 * cases run on it.
 */
abstract class TapSwitchNetwork extends PeerNetwork {
    /** The TAPs' names in the switch's namespace, then in red's and blue's. */
    static final String TAP_RED = "tap-red";
    static final String TAP_BLUE = "tap-blue";

    private final String sw;
    private final String red;
    private final String blue;

    TapSwitchNetwork(String prefix) {
        this.sw = prefix + "sw";
        this.red = prefix + "red";
        this.blue = prefix + "blue";
    }

    /**
     * Starts the switch in namespace {@code sw} with working directory {@code dir}: it makes the TAPs {@link #TAP_RED}
     * and {@link #TAP_BLUE} there (or has them made) and forwards between them; returns once both exist and are held.
     */
    abstract void startSwitch(String sw, Path dir) throws IOException;

    @Override
    final void create(Path dir) throws IOException {
        for (String ns : List.of(sw, red, blue)) {
            addNamespace(ns);
        }
        startSwitch(sw, dir);
        host(red, TAP_RED, "192.168.15.1/24");
        host(blue, TAP_BLUE, "192.168.15.2/24");
    }

    private void host(String ns, String tap, String address) throws IOException {
        ip("-n", sw, "link", "set", tap, "netns", ns);
        ip("-n", ns, "link", "set", tap, "mtu", "1500", "txqueuelen", "1000", "up");
        ip("-n", ns, "addr", "add", address, "dev", tap);
    }

    @Override
    public String red() {
        return red;
    }

    @Override
    public String blue() {
        return blue;
    }

    @Override
    public String lan() {
        return null;
    }

    @Override
    public List<String> warmUpTargets() {
        return List.of("192.168.15.2");
    }
}
