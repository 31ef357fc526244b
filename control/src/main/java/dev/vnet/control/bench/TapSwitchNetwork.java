package dev.vnet.control.bench;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The switched shape built by a user-space switch that is not vnet (a peer): red (192.168.15.1) and blue
 * (192.168.15.2) each have a TAP whose other end a switch process holds, as vnet's namespaces do. The switch runs in
 * a namespace of its own ({@code prefix}sw), where its TAPs are made before they move to red and blue, with a working
 * directory of its own; nothing is created in the root namespace, and closing stops the switch's processes (by the
 * PIDs this benchmark started) and deletes the namespaces and the directory. Only the L2 cases run on it.
 */
abstract class TapSwitchNetwork implements BenchNetwork {
    private static final Logger log = LoggerFactory.getLogger(TapSwitchNetwork.class);
    /** The TAPs' names in the switch's namespace, then in red's and blue's. */
    static final String TAP_RED = "tap-red";
    static final String TAP_BLUE = "tap-blue";
    private static final long TIMEOUT = 20;

    private final String sw;
    private final String red;
    private final String blue;
    private final BenchNamespaces namespaces = new BenchNamespaces();
    private final List<Process> processes = new ArrayList<>();
    private Path dir;

    TapSwitchNetwork(String prefix) {
        this.sw = prefix + "sw";
        this.red = prefix + "red";
        this.blue = prefix + "blue";
    }

    /**
     * Builds {@code n}; on failure removes what it made, and so does {@code cleanup} if the benchmark is interrupted
     * while it is built or used.
     */
    static <T extends TapSwitchNetwork> T build(T n, BenchCleanup cleanup) throws IOException {
        cleanup.onInterrupt(n::close);
        try {
            n.create();
        } catch (IOException | RuntimeException e) {
            n.close();
            throw e;
        }
        return n;
    }

    /**
     * Starts the switch in namespace {@code sw} with working directory {@code dir}: it makes the TAPs {@link #TAP_RED}
     * and {@link #TAP_BLUE} there (or has them made) and forwards between them; returns once both exist and are held.
     */
    abstract void startSwitch(String sw, Path dir) throws IOException;

    /** How the peer is set up, for the report (its port type, offloads, mode). */
    abstract String variant();

    /** Starts {@code args} in namespace {@code ns}, with {@code env}; stopped by PID when the network closes. */
    final Process startProcess(String ns, java.util.Map<String, String> env, String... args) throws IOException {
        Process p = Proc.start(ns, env, args);
        synchronized (this) {
            processes.add(p);
        }
        return p;
    }

    /** Waits until namespace {@code ns} has interface {@code name}; fails naming {@code what} otherwise. */
    static void awaitLink(String ns, String name, String what) throws IOException {
        for (int i = 0; i < 200; i++) {
            if (Proc.run(Proc.in(ns, "ip", "link", "show", name), TIMEOUT).exit() == 0) {
                return;
            }
            sleep(50);
        }
        throw new IOException(what + " did not make " + name + " in " + ns + " within 10 s");
    }

    static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private void ip(String... args) throws IOException {
        namespaces.ip(args);
    }

    final void create() throws IOException {
        for (String ns : List.of(sw, red, blue)) {
            namespaces.add(ns);
        }
        dir = Files.createTempDirectory("vnet-bench-" + name() + "-");
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
    public boolean supports(BenchCase.Path path) {
        return path == BenchCase.Path.L2;
    }

    @Override
    public List<String> warmUpTargets() {
        return List.of("192.168.15.2");
    }

    /** Stops the switch, deletes the namespaces and the working directory; safe to call twice. */
    @Override
    public synchronized void close() {
        for (Process p : processes) {
            Proc.stop(p);
        }
        processes.clear();
        namespaces.close();
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                log.warn("cleanup: {}", e.getMessage());
            }
            dir = null;
        }
    }
}
